"""A guest upgraded in place by "Continue with" an upstream provider, on the Firestore emulator
with a local OpenID provider (tests/support/oidc_idp.py; docs/guests.md, "Upgrading in
place"): a browser signed in as the guest makes the round trip and the guest becomes the
account (the same id, its session going on); the API form is the native app's ID token with
the guest's bearer token. An identity or address of another account leaves the guest as it
is: 409 ``account_exists``, on a page in the reader's language."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.api import assert_problem, bearer, register
from tests.support.dpop import claims_of
from tests.support.guest_accounts import new_guest_answer
from tests.support.oidc_idp import CLIENT_ID, OidcIdpForTests, oidc_idp, signed_id_token
from tests.support.upstream_service import UpstreamService

pytestmark = pytest.mark.e2e
SEPARATOR = "~"  # the session cookie's, between the access and the refresh token


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcIdpForTests]:
    with oidc_idp() as found:
        yield found


@pytest.fixture
def service(firestore: Any, idp: OidcIdpForTests) -> UpstreamService:
    return UpstreamService(firestore, idp, guest_accounts=True)


def new_guest(client: FlaskClient) -> dict[str, Any]:
    # made as POST /auth/guest makes one: the upgrade is the core's, tested without
    # the guests unit (tests/support/guest_accounts.py)
    return new_guest_answer(client)


def guest_browser(service: UpstreamService, guest: dict[str, Any]) -> FlaskClient:
    """A browser signed in as the guest (its session cookie)."""
    browser = service.app.test_client()
    browser.set_cookie(
        "firegate_session", guest["access_token"] + SEPARATOR + guest["refresh_token"]
    )
    return browser


def round_trip(
    service: UpstreamService, browser: FlaskClient, email: str, subject: str, **headers: str
) -> TestResponse:
    """``browser``'s "Continue with corp" as this person: the answer of the callback."""
    started = browser.get("/sign-in/with/corp?next=/account")
    assert started.status_code == 303, started.get_data(as_text=True)
    person = {"sub": subject, "email": email, "email_verified": True}
    back = urlsplit(service.idp.authorize(started.headers["Location"], person))
    answer: TestResponse = browser.get(f"{back.path}?{back.query}", headers=headers)
    return answer


def test_a_browser_signed_in_as_the_guest_continues_with_the_provider_into_its_account(
    service: UpstreamService, firestore: Any
) -> None:
    guest = new_guest(service.client)
    uid = claims_of(guest["access_token"])["sub"]
    browser = guest_browser(service, guest)
    answer = round_trip(service, browser, "Ada@Example.com", "corp-ada")
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    stored = firestore.collection("users").document(uid).get().to_dict()
    assert stored["guest"] is False
    assert (stored["email_normalized"], stored["email_verified"]) == ("ada@example.com", True)
    assert stored["username"] == "Ada"
    link = firestore.collection("identities").document("corp:corp-ada").get().to_dict()
    assert link["user_id"] == uid
    assert [doc.id for doc in firestore.collection("users").stream()] == [uid]
    # The browser is signed in to the account; the guest's own session goes on, its next
    # access token without guest.
    assert "Ada" in browser.get("/account").get_data(as_text=True)
    refreshed = service.client.post("/auth/refresh", json={"refresh_token": guest["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    renewed = claims_of(refreshed.get_json()["access_token"])
    assert renewed["sub"] == uid and "guest" not in renewed
    # The provider signs in to the same account from now on, from any browser.
    again = round_trip(service, service.app.test_client(), "ada@example.com", "corp-ada")
    assert again.status_code == 303
    assert len(list(firestore.collection("users").stream())) == 1


def test_an_address_of_another_account_is_a_page_saying_to_sign_in_to_it(
    service: UpstreamService, firestore: Any
) -> None:
    register(service.client, "ada")  # ada@example.com, with a password
    guest = new_guest(service.client)
    uid = claims_of(guest["access_token"])["sub"]
    answer = round_trip(service, guest_browser(service, guest), "ada@example.com", "corp-ada")
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "belongs to an account that already exists" in page
    assert "Sign in to that account" in page
    assert uid not in page
    assert firestore.collection("users").document(uid).get().to_dict()["guest"] is True
    assert not firestore.collection("identities").document("corp:corp-ada").get().exists
    in_spanish = round_trip(
        service,
        guest_browser(service, guest),
        "ada@example.com",
        "corp-ada",
        **{"Accept-Language": "es"},
    )
    assert in_spanish.status_code == 409
    assert "pertenece a una cuenta que ya existe" in in_spanish.get_data(as_text=True)


def test_an_identity_of_another_account_is_account_exists(
    service: UpstreamService, firestore: Any
) -> None:
    first = round_trip(service, service.app.test_client(), "ada@example.com", "corp-ada")
    assert first.status_code == 303
    guest = new_guest(service.client)
    uid = claims_of(guest["access_token"])["sub"]
    answer = round_trip(service, guest_browser(service, guest), "ada@example.com", "corp-ada")
    assert answer.status_code == 409
    assert firestore.collection("users").document(uid).get().to_dict()["guest"] is True


def native_token(idp: OidcIdpForTests, email: str, subject: str, nonce: str) -> str:
    now = int(time.time())
    claims = {"iss": idp.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300}
    person = {"sub": subject, "email": email, "email_verified": True, "nonce": nonce}
    return signed_id_token({**claims, **person})


def native(
    service: UpstreamService, guest: dict[str, Any] | None, email: str, subject: str
) -> TestResponse:
    body = {"id_token": native_token(service.idp, email, subject, "n-1"), "nonce": "n-1"}
    headers = bearer(guest["access_token"]) if guest is not None else {}
    answer: TestResponse = service.client.post(
        "/auth/identities/corp/token", json=body, headers=headers
    )
    return answer


def test_the_api_form_upgrades_the_guest_of_the_bearer_token(
    service: UpstreamService, firestore: Any
) -> None:
    guest = new_guest(service.client)
    uid = claims_of(guest["access_token"])["sub"]
    answer = native(service, guest, "grace@example.com", "corp-grace")
    assert answer.status_code == 200, answer.get_json()
    claims = claims_of(answer.get_json()["access_token"])
    assert claims["sub"] == uid and "guest" not in claims
    me = service.client.get("/user", headers=bearer(answer.get_json()["access_token"]))
    assert (me.get_json()["guest"], me.get_json()["email"]) == (False, "grace@example.com")
    link = firestore.collection("identities").document("corp:corp-grace").get().to_dict()
    assert link["user_id"] == uid
    # Another account's address, with another guest: 409, nothing changed.
    other = new_guest(service.client)
    assert_problem(native(service, other, "grace@example.com", "corp-x"), 409, "account_exists")
    other_id = claims_of(other["access_token"])["sub"]
    assert firestore.collection("users").document(other_id).get().to_dict()["guest"] is True
    # The guest that signed up is no guest to upgrade again.
    assert_problem(native(service, guest, "hopper@example.com", "corp-h"), 409, "not_a_guest")
