"""Support access on the fakes (docs/support-access.md): an admin's session of the person,
``act`` in every token of it, the time box, the refusals, its end, and the events on both
accounts."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.ports import Audit
from application.signin.authentication import Authenticate
from application.signin.services import SigninServices
from bootstrap import Adapters
from domain.signin.active_org import ActiveOrg
from infrastructure.settings import Settings
from interfaces.web.browser import EXTENSION
from tests.fakes.events import RecordingAuditLog
from tests.fakes.federation import FakeCustomTokens
from tests.fakes.kernel import FakeClock, InMemoryStore
from tests.support.api import (
    PASSWORD,
    admin_token,
    assert_field_error,
    assert_problem,
    bearer,
    login,
    register,
    services,
)
from tests.support.app import TEST_CLOCK, World, swap
from tests.support.mail_flows import notices, verified
from tests.support.session_starts import APPLICATION, session_starters
from tests.support.settings import make_settings
from tests.support.taken_out import taken_out
from tests.support.webhooks import ADMIN
from tests.unit.support_access.fakes import acting, page_post

pytestmark = pytest.mark.unit
REASON = "Ticket 4711: the export page shows nothing"


def claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def impersonate(client: FlaskClient, auth: dict[str, str], user_id: str, **body: Any) -> Any:
    return client.post(
        f"/admin/users/{user_id}/impersonate", json={"reason": REASON, **body}, headers=auth
    )


def admin_id(client: FlaskClient, auth: dict[str, str]) -> str:
    found: str = client.get("/user", headers=auth).get_json()["id"]
    return found


def test_every_token_of_the_session_names_the_admin_in_act(
    fake_app: Flask, client: FlaskClient
) -> None:
    root = admin_token(fake_app, client)
    root_id = admin_id(client, root)
    alice = register(client, "alice")["id"]
    started = impersonate(client, root, alice, minutes=20)
    assert started.status_code == 201, started.get_json()
    pair = started.get_json()
    first = claims(pair["access_token"])
    assert first["sub"] == alice and first["act"] == {"sub": root_id}
    assert pair["refresh_expires_in"] <= 20 * 60  # the refresh cannot outlive the time box
    assert client.get("/user", headers=bearer(pair["access_token"])).get_json()["id"] == alice

    refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert claims(refreshed.get_json()["access_token"])["act"] == {"sub": root_id}
    renewed = client.post("/auth/renew", headers=bearer(pair["access_token"]))
    assert claims(renewed.get_json()["access_token"])["act"] == {"sub": root_id}

    # The person's own session: no act.
    assert "act" not in claims(login(client, "alice"))


@pytest.fixture
def adapters(adapters: Adapters) -> Adapters:
    return swap(adapters, custom_tokens=FakeCustomTokens())


def test_the_firebase_custom_token_names_the_admin_and_the_end(
    fake_app: Flask, client: FlaskClient
) -> None:
    root = admin_token(fake_app, client)
    alice = register(client, "alice")["id"]
    pair = impersonate(client, root, alice, minutes=10).get_json()
    minted = client.post("/auth/firebase/custom-token", headers=bearer(pair["access_token"]))
    assert minted.status_code == 200, minted.get_json()
    developer = claims(minted.get_json()["custom_token"])["claims"]
    assert developer["act"] == {"sub": admin_id(client, root)}
    ends = developer["impersonation_ends"]
    assert ends == claims(pair["access_token"])["exp"]  # the session's end, no later
    own = client.post("/auth/firebase/custom-token", headers=bearer(login(client, "alice")))
    person = claims(own.get_json()["custom_token"])["claims"]
    assert "act" not in person and "impersonation_ends" not in person


def test_an_org_switch_keeps_act(
    fake_app: Flask, client: FlaskClient, store: InMemoryStore
) -> None:
    root = admin_token(fake_app, client)
    alice = register(client, "alice")["id"]
    acme = ActiveOrg(id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=3)
    store.active_orgs[(acme.id, alice)] = acme
    access = impersonate(client, root, alice).get_json()["access_token"]
    switched = client.post("/auth/org", json={"org": "acme"}, headers=bearer(access))
    assert switched.status_code == 200, switched.get_json()
    assert claims(switched.get_json()["access_token"])["act"] == {"sub": admin_id(client, root)}


def test_the_session_ends_with_its_minutes(fake_app: Flask, client: FlaskClient) -> None:
    root = admin_token(fake_app, client)
    alice = register(client, "alice")["id"]
    pair = impersonate(client, root, alice, minutes=5).get_json()
    assert pair["expires_in"] <= 5 * 60
    clock: FakeClock = fake_app.extensions[TEST_CLOCK]
    clock.advance(minutes=5, seconds=1)
    answer = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_problem(answer, 401, "invalid_refresh_token")


def test_the_refusals(fake_app: Flask, client: FlaskClient) -> None:
    root = admin_token(fake_app, client)
    other_admin = admin_token(fake_app, client, "second")
    alice = register(client, "alice")["id"]
    bob = bearer(login(client, "alice"))
    assert_problem(impersonate(client, bob, alice), 403, "admin_required")
    assert_problem(impersonate(client, root, admin_id(client, root)), 403, "impersonation_of_self")
    second = admin_id(client, other_admin)
    assert_problem(impersonate(client, root, second), 403, "impersonation_of_admin")
    assert_problem(impersonate(client, root, "u" * 20), 404, "user_not_found")
    assert_field_error(impersonate(client, root, alice, minutes=61), "minutes", "less_than_equal")
    missing = client.post(f"/admin/users/{alice}/impersonate", json={}, headers=root)
    assert missing.status_code == 422
    blank = client.post(f"/admin/users/{alice}/impersonate", json={"reason": "   "}, headers=root)
    assert blank.status_code == 422
    # From a session that itself acts as someone: never a second one.
    bob_id = register(client, "bob")["id"]
    acting = bearer(impersonate(client, root, alice).get_json()["access_token"])
    assert_problem(impersonate(client, acting, bob_id), 403, "impersonation_forbidden")


def test_its_end_ends_the_session_and_both_accounts_record_it(
    fake_app: Flask, client: FlaskClient, audit_log: RecordingAuditLog
) -> None:
    root = admin_token(fake_app, client)
    root_id = admin_id(client, root)
    alice = register(client, "alice")["id"]
    access = impersonate(client, root, alice, minutes=30).get_json()["access_token"]
    started = [e for e in audit_log.events if e.event is Audit.IMPERSONATION_STARTED]
    assert {e.user_id for e in started} == {alice, root_id}
    assert all(e.reason == REASON and e.minutes == 30 for e in started)
    # The person's: the admin acted; the admin's own record names the person.
    assert {(e.user_id, e.actor_id, e.subject_id) for e in started} == {
        (alice, root_id, None),
        (root_id, None, alice),
    }

    own = bearer(login(client, "alice"))
    assert_problem(client.post("/auth/impersonation/end", headers=own), 409, "not_impersonating")
    ended = client.post("/auth/impersonation/end", headers=bearer(access))
    assert ended.status_code == 204
    assert client.get("/user", headers=bearer(access)).status_code == 401
    finished = [e for e in audit_log.events if e.event is Audit.IMPERSONATION_ENDED]
    assert {e.user_id for e in finished} == {alice, root_id}
    for who in (own, root):  # each account's own events list both
        listed = client.get("/auth/events", headers=who).get_json()["items"]
        types = [e["type"] for e in listed]
        assert "impersonation.started" in types and "impersonation.ended" in types, types


# Every route of the API that changes how an account signs in, its addresses or identities,
# or deletes it: found by its path, so a new one lands here (and must be refused) by itself.
CHANGES = re.compile(
    r"^/(user(/.*)?|api/users/<[^>]+>|auth/(passkeys/(registration.*|<[^>]+>)|mfa/.*"
    r"|identities/<provider>|tokens))$"
)
NEW_PASSWORD = "another long passphrase 7"
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/user"): {"username": "alice", "email": "new@example.com"},
    ("PATCH", "/user"): {"email": "new@example.com"},
    ("DELETE", "/user"): None,
    ("PUT", "/user/password"): {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    ("POST", "/user/phone/verify"): {"code": "123456"},
    ("DELETE", "/user/phone"): None,
    ("PUT", "/api/users/<user_id:user_id>"): {"username": "alice", "email": "new@example.com"},
    ("PATCH", "/api/users/<user_id:user_id>"): {"email": "new@example.com"},
    ("DELETE", "/api/users/<user_id:user_id>"): None,
    ("POST", "/auth/passkeys/registration/options"): None,
    ("POST", "/auth/passkeys/registration"): {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "AAAA", "attestationObject": "AAAA"},
    },
    ("DELETE", "/auth/passkeys/<passkey_id:passkey_id>"): None,
    ("POST", "/auth/mfa/totp"): {"password": PASSWORD},
    ("POST", "/auth/mfa/totp/confirm"): {"code": "123456"},
    ("DELETE", "/auth/mfa/totp"): {"password": PASSWORD, "code": "123456"},
    ("POST", "/auth/mfa/recovery-codes"): {"password": PASSWORD, "code": "123456"},
    ("DELETE", "/auth/identities/<provider>"): None,
    ("POST", "/auth/tokens"): {"name": "script", "scopes": ["read"], "expires_in": 60},
}


@pytest.fixture
def app_settings() -> Settings:
    return make_settings(phone_sign_in=True)  # the phone routes reach their rules, with the unit


def test_a_session_of_support_access_changes_no_way_in_address_or_identity(
    fake_app: Flask, client: FlaskClient
) -> None:
    hooks = services(fake_app).of(HookServices).hooks
    if "send_sms" in hooks.kinds.names:  # the phone unit's routes text their codes
        hooks.set(SetAuthHook(ADMIN, "send_sms", "http://127.0.0.1:9/sms"))
    root = admin_token(fake_app, client)
    alice = register(client, "alice")["id"]
    acting = bearer(impersonate(client, root, alice).get_json()["access_token"])
    found = {
        (method, rule.rule)
        for rule in fake_app.url_map.iter_rules()
        if CHANGES.match(rule.rule)
        for method in (rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}
    }
    assert found == set(BODIES) - taken_out().routes  # a unit's taken out of this copy: gone
    for (method, rule), body in BODIES.items():
        if (method, rule) not in found:
            continue
        path = re.sub(r"<[^>]*user_id>", alice, rule)
        path = path.replace("<provider>", "github").replace(
            "<passkey_id:passkey_id>", "pk_" + "a" * 22
        )
        answer = client.open(path, method=method, json=body, headers=acting)
        assert_problem(answer, 403, "impersonation_forbidden")
    # The person is as before: the same address, the same password.
    assert client.get("/user", headers=acting).get_json()["email"] == "alice@example.com"
    assert login(client, "alice")


def test_the_person_is_mailed_and_every_page_shows_the_banner_with_its_end() -> None:
    world = World()
    verified(world, "root")
    services(world.app).of(AccountServices).admin.set_role(SetRole("root", "admin"))
    root = bearer(login(world.client, "root"))
    verified(world, "alice")
    alice = world.client.get("/user", headers=bearer(login(world.client, "alice"))).get_json()
    pair = impersonate(world.client, root, alice["id"]).get_json()
    world.deliver()
    [notice] = [m for m in notices(world) if "acting as you" in m.subject]
    assert notice.subject == "An administrator is acting as you on your firegate account"
    assert not [m for m in notices(world, "root@example.com") if "acting as you" in m.subject]

    browser = world.app.test_client()
    name = world.app.extensions[EXTENSION].cookie("session")
    browser.set_cookie(name, f"{pair['access_token']}~{pair['refresh_token']}")
    for path in ("/account", "/account/security"):
        page = browser.get(path).get_data(as_text=True)
        assert "You are acting as alice for root." in page, path
    own = world.app.test_client()
    own.set_cookie(name, login(world.client, "alice"))
    assert "You are acting as" not in own.get("/account").get_data(as_text=True)

    token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get("/account").text)
    assert token is not None
    ended = browser.post("/account/impersonation/end", data={"csrf_token": token[1]})
    assert ended.status_code == 303
    assert world.client.get("/user", headers=bearer(pair["access_token"])).status_code == 401


def test_support_access_approves_no_device(fake_app: Flask, client: FlaskClient) -> None:
    """A device's grant would be held by another device than the session's browser, past the
    session: its page refuses the session (an app's code is not refused: it names the admin
    in ``act`` and ends with the session,
    tests/unit/support_access/test_oauth_support_access.py)."""
    root = admin_token(fake_app, client)
    alice = register(client, "alice")["id"]
    who = acting(fake_app, client, f"/admin/users/{alice}/impersonate", root)
    answer = page_post(who, "/device", user_code="BCDF-GHJK", decision="allow")
    assert (answer.status_code, answer.get_json()["code"]) == (403, "impersonation_forbidden")


def test_a_session_of_support_access_keeps_the_username_and_the_address(
    fake_app: Flask, client: FlaskClient
) -> None:
    """The profile's names are the person's to see changed for them; the username and the
    address, as written, are not (PUT and PATCH /user, the profile page)."""
    root = admin_token(fake_app, client)
    alice = register(client, "alice")["id"]
    who = acting(fake_app, client, f"/admin/users/{alice}/impersonate", root)
    for body in ({"username": "alicia"}, {"username": "Alice"}, {"email": "new@example.com"}):
        assert_problem(
            client.patch("/user", json=body, headers=who.auth), 403, "impersonation_forbidden"
        )
    same = {"username": "alice", "email": "alice@example.com", "name": "Alice"}
    assert client.put("/user", json=same, headers=who.auth).status_code == 200
    assert client.patch("/user", json={"last_name": "Liddell"}, headers=who.auth).status_code == 200
    renamed = page_post(who, "/account/profile", username="alicia", email="alice@example.com")
    assert (renamed.status_code, renamed.get_json()["code"]) == (403, "impersonation_forbidden")
    shown = client.get("/user", headers=who.auth).get_json()
    assert (shown["username"], shown["email"], shown["name"]) == (
        "alice",
        "alice@example.com",
        "Alice",
    )


def test_it_is_no_recent_sign_in_and_ends_if_the_person_becomes_an_admin(
    fake_app: Flask, client: FlaskClient
) -> None:
    root = admin_token(fake_app, client)
    alice = register(client, "alice")["id"]
    access = impersonate(client, root, alice).get_json()["access_token"]
    actor = services(fake_app).of(SigninServices).authentication.authenticate(Authenticate(access))
    assert actor.acting_admin_id is not None and actor.recent_sign_in is False
    services(fake_app).of(AccountServices).admin.set_role(SetRole("alice", "admin"))
    answer = client.get("/user", headers=bearer(access))
    assert_problem(answer, 401, "invalid_token")  # no one acts as an admin (decision 0584)
    assert client.get("/user", headers=bearer(login(client, "alice"))).status_code == 200


def test_its_session_of_the_person_is_started_by_its_one_step() -> None:
    """Support access starts a session of the person without their sign-in (no
    ``before_sign_in`` hook is asked: docs/hooks.md), in ``Impersonation.start`` alone, which
    both ways in take (tests/unit/hooks/test_before_sign_in.py holds the core's to ``SignIn``)."""
    own = session_starters(APPLICATION / "support_access")
    assert own == {(Path("support_access/impersonation.py"), "start")}
