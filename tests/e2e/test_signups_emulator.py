"""Who may sign up, on the Firestore and Auth emulators (docs/security.md, "Who may sign up"):
each way a person makes an account — POST /register, the /sign-up page, POST /auth/firebase
with the Auth emulator's tokens, an upstream OpenID provider's sign-in, a mailed code —
refused alike, the
same answer whether or not an account holds the address; invite-only through an org's
invitation (read from Firestore by its address) and an admin's.

Two apps share one emulator: one where sign-up is open, which makes what was there before
the service closed, and one with the rule under test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from tests.support.api import PASSWORD, assert_problem, bearer, login, register, services
from tests.support.firebase_auth import FirebaseAuth, exchange
from tests.support.oidc_idp import (
    OidcIdpForTests,
    oidc_idp,
)
from tests.support.pages import csrf
from tests.support.upstream_service import UpstreamService

pytestmark = pytest.mark.e2e


class Service(UpstreamService):
    """An app on the emulator with its jobs queued here and its mail kept."""


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcIdpForTests]:
    with oidc_idp() as found:
        yield found


@pytest.fixture(scope="module")
def firebase_admin_app(emulators: Any) -> Iterator[Any]:
    import firebase_admin

    app = firebase_admin.initialize_app(
        options={"projectId": emulators.project}, name="firegate-signups-admin"
    )
    yield app
    firebase_admin.delete_app(app)


@pytest.fixture
def firebase(firebase_admin_app: Any, firestore: Any, emulators: Any) -> FirebaseAuth:
    return FirebaseAuth(app=firebase_admin_app, url=emulators.url("auth"))


@pytest.fixture
def before(firestore: Any, idp: OidcIdpForTests) -> Service:
    """The service while sign-up was open, on a wiped emulator."""
    return Service(firestore, idp)


def refused(response: Any, reason: str) -> dict[str, Any]:
    body = assert_problem(response, 403, "signup_not_allowed")
    assert body["reason"] == reason
    return body


def body(name: str, email: str | None = None) -> dict[str, str]:
    return {"username": name, "email": email or f"{name}@example.com", "password": PASSWORD}


def test_register_and_the_page_answer_alike_for_a_held_and_a_free_address(
    firestore: Any, idp: OidcIdpForTests, before: Service
) -> None:
    register(before.client, "alice")
    closed = Service(firestore, idp, signup_mode="closed")
    held = closed.client.post("/register", json=body("alice2", "alice@example.com"))
    free = closed.client.post("/register", json=body("bob"))
    assert refused(held, "closed") == refused(free, "closed")
    page = closed.client
    for form in (body("alice3", "alice@example.com"), body("carol")):
        shown = page.post("/sign-up", data={**form, "csrf_token": csrf(page, "/sign-up")})
        assert shown.status_code == 403
        assert "New accounts cannot be made with this address here." in shown.get_data(as_text=True)
    assert login(closed.client, "alice")  # an account made before signs in
    nobody = {"username": "bob", "password": PASSWORD}
    assert closed.client.post("/login", json=nobody).status_code == 401  # nothing was made


def test_blocked_and_disposable_domains_on_the_api(firestore: Any, idp: OidcIdpForTests) -> None:
    strict = Service(
        firestore, idp, signup_domains_block=["spam.example"], signup_block_disposable=True
    )
    refused(
        strict.client.post("/register", json=body("bob", "bob@eu.spam.example")), "domain_blocked"
    )
    refused(
        strict.client.post("/register", json=body("bob", "bob@mailinator.com")), "disposable_domain"
    )
    assert strict.client.post("/register", json=body("bob")).status_code == 201


def test_the_firebase_exchange_that_would_make_an_account_is_refused(
    firestore: Any, idp: OidcIdpForTests, before: Service, firebase: FirebaseAuth
) -> None:
    firebase.create("linked@example.com")
    firebase.create("held@example.com")
    firebase.create("new@example.com")
    linked = exchange(before.client, firebase.sign_in("linked@example.com"))
    assert linked.status_code == 200, linked.get_json()
    register(before.client, "holder", email="held@example.com")
    closed = Service(firestore, idp, signup_mode="closed")
    held = exchange(closed.client, firebase.sign_in("held@example.com"))
    new = exchange(closed.client, firebase.sign_in("new@example.com"))
    assert refused(held, "closed") == refused(new, "closed")
    again = exchange(closed.client, firebase.sign_in("linked@example.com"))
    assert again.status_code == 200, again.get_json()


def test_an_upstream_sign_in_that_would_make_an_account_is_refused(
    firestore: Any, idp: OidcIdpForTests, before: Service
) -> None:
    first = before.upstream("ann@example.com", "sub-ann")
    assert first.status_code == 303 and "firegate_session" in first.headers.get("Set-Cookie", "")
    allowed = Service(firestore, idp, signup_domains_allow=["corp.example"])
    for email, subject in (("bob@example.com", "sub-bob"), ("ann@example.com", "sub-ann-2")):
        answer = allowed.upstream(email, subject)
        assert answer.status_code == 403
        assert "New accounts cannot be made with this address here." in answer.get_data(
            as_text=True
        )
    again = allowed.upstream("ann@example.com", "sub-ann")  # linked before: signs in
    assert again.status_code == 303 and "firegate_session" in again.headers.get("Set-Cookie", "")
    made = allowed.upstream("cy@eu.corp.example", "sub-cy")
    assert made.status_code == 303


def test_invite_only_lets_an_org_invitation_sign_up(
    firestore: Any, idp: OidcIdpForTests, before: Service
) -> None:
    register(before.client, "olga")
    olga = bearer(login(before.client, "olga"))
    assert (
        before.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga).status_code
        == 201
    )
    invite = {"email": "Ivy@example.com", "roles": ["member"]}
    assert (
        before.client.post("/orgs/acme/invitations", json=invite, headers=olga).status_code == 201
    )
    before.deliver()
    by_invitation = Service(firestore, idp, signup_mode="invite_only")
    refused(by_invitation.client.post("/register", json=body("bob")), "invitation_required")
    assert by_invitation.client.post("/register", json=body("ivy")).status_code == 201
    ivy = bearer(login(by_invitation.client, "ivy"))
    token = before.token("Ivy@example.com", "/orgs/join")  # mailed as typed
    accepted = by_invitation.client.post(
        "/orgs/invitations/accept", json={"token": token}, headers=ivy
    )
    assert accepted.status_code == 200, accepted.get_json()
    refused(
        by_invitation.client.post("/register", json=body("ivy2", "ivy@example.com")),
        "invitation_required",
    )


@pytest.mark.parametrize("mode", ["invite_only", "closed"])
def test_an_admin_invites_whatever_the_mode(
    firestore: Any, idp: OidcIdpForTests, before: Service, mode: str
) -> None:
    register(before.client, "root")
    services(before.app).of(AccountServices).admin.set_role(SetRole("root", "admin"))
    by_invitation = Service(firestore, idp, signup_mode=mode)
    root = bearer(login(by_invitation.client, "root"))
    invite = {"username": "ivy", "email": "ivy@example.com"}
    made = by_invitation.client.post("/users/invitations", json=invite, headers=root)
    assert made.status_code == 201, made.get_json()
    by_invitation.deliver()
    token = by_invitation.token("ivy@example.com", "/reset-password")
    reset = {"token": token, "new_password": PASSWORD}
    assert by_invitation.client.post("/auth/password/reset", json=reset).status_code == 204
    assert login(by_invitation.client, "ivy")


def test_sign_up_by_code_is_refused_where_sign_up_is_closed(
    firestore: Any, idp: OidcIdpForTests, before: Service
) -> None:
    register(before.client, "alice")
    closed = Service(firestore, idp, signup_mode="closed")

    refused(closed.by_code("dave@example.com"), "closed")
    assert (
        closed.client.post("/login", json={"username": "dave", "password": "x"}).status_code == 401
    )
    signed_in = closed.by_code("alice@example.com")  # an account's code still signs in
    assert signed_in.status_code == 200
