"""A guest upgraded in place by an org's single sign-on, on the Firestore emulator with a SAML
IdP (pysaml2's own) and an OpenID IdP (the stand-in; docs/guests.md, "Upgrading in place"):
a browser signed in as the guest signs in through the org's connection, and the guest becomes
the account the connection makes (the same id, its session going on), a member of the org as
a sign-up on its verified domain is. An address of another account leaves the guest as it
is: 409 ``account_exists``, on a page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bootstrap import build_adapters
from tests.support.api import register
from tests.support.app import app_on
from tests.support.corp_sso import SignIn, corp, oidc_sign_in, saml_sign_in
from tests.support.dpop import claims_of
from tests.support.guest_accounts import new_guest_answer
from tests.support.oidc_idp import oidc_idp
from tests.support.settings import make_settings

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
BASE = "http://127.0.0.1:8000"  # the test settings' PUBLIC_URL
SEPARATOR = "~"  # the session cookie's, between the access and the refresh token
ADA = "ada@corp.example"


@pytest.fixture
def app(firestore: Any) -> Flask:
    settings = make_settings(guest_accounts=True)
    return app_on(settings, build_adapters(settings, firestore=firestore))


def guest_browser(app: Flask) -> tuple[FlaskClient, dict[str, Any]]:
    """A browser signed in as a new guest (its session cookie), and the guest's tokens."""
    browser = app.test_client()
    guest = new_guest_answer(browser)  # as POST /auth/guest makes one (the unit's way in)
    browser.set_cookie(
        "firegate_session", guest["access_token"] + SEPARATOR + guest["refresh_token"]
    )
    return browser, guest


def becomes_a_member(app: Flask, firestore: Any, owner: dict[str, str], way: SignIn) -> None:
    browser, guest = guest_browser(app)
    uid = claims_of(guest["access_token"])["sub"]
    arrived = way(browser, ADA)
    assert arrived.status_code == 303, arrived.text
    assert urlsplit(arrived.headers["Location"]).path == "/account"
    stored = firestore.collection("users").document(uid).get().to_dict()
    assert stored["guest"] is False
    assert (stored["email_normalized"], stored["email_verified"]) == (ADA, True)
    links = [doc.to_dict() for doc in firestore.collection("identities").stream()]
    assert [link["user_id"] for link in links] == [uid]
    members = app.test_client().get("/orgs/corp/members", headers=owner).get_json()
    assert uid in [m["user_id"] for m in members["items"]]
    refreshed = app.test_client().post(
        "/auth/refresh", json={"refresh_token": guest["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    renewed = claims_of(refreshed.get_json()["access_token"])
    assert renewed["sub"] == uid and "guest" not in renewed
    assert len(list(firestore.collection("users").stream())) == 2  # olga and the guest's


def test_a_guest_signing_in_through_the_orgs_saml_connection_becomes_its_member(
    app: Flask, firestore: Any
) -> None:
    owner = corp(app, firestore)
    becomes_a_member(app, firestore, owner, saml_sign_in(app, owner))


def test_a_guest_signing_in_through_the_orgs_openid_connection_becomes_its_member(
    app: Flask, firestore: Any
) -> None:
    owner = corp(app, firestore)
    with oidc_idp() as idp:
        becomes_a_member(app, firestore, owner, oidc_sign_in(app, owner, idp))


def test_an_address_of_another_account_is_a_page_saying_to_sign_in_to_it(
    app: Flask, firestore: Any
) -> None:
    owner = corp(app, firestore)
    register(app.test_client(), "ada", email=ADA)
    way = saml_sign_in(app, owner)
    browser, guest = guest_browser(app)
    uid = claims_of(guest["access_token"])["sub"]
    refused = way(browser, ADA)
    assert refused.status_code == 409, refused.text
    assert "belongs to an account that already exists" in refused.text
    assert firestore.collection("users").document(uid).get().to_dict()["guest"] is True
    assert list(firestore.collection("identities").stream()) == []
