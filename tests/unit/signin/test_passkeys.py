"""Passkeys on the fakes: the rules (counter, challenges, names) and the HTTP flows with a
software authenticator (tests/support/passkey_authenticator.py)."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient

from application.ports import Audit
from application.signin.authentication import Actor
from application.signin.factors.passkeys import RenamePasskey
from domain.errors import InvalidInput, NotFound, Unauthenticated
from domain.signin.passkeys import (
    CHALLENGE_TTL,
    MAX_PASSKEYS_PER_USER,
    Ceremony,
    Challenge,
    Passkey,
    check_name,
)
from infrastructure.settings import Settings
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock, InMemoryStore
from tests.fakes.signin import FakePasskeyRepository
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import app_on, fake_adapters, swap
from tests.support.passkey_authenticator import OPTIONS, SIGN_IN, assertion, b64url, enrol
from tests.support.passkey_authenticator import Passkey as SoftPasskey
from tests.support.settings import make_settings
from tests.support.use_cases import World as AccountsWorld

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def make_passkey(sign_count: int = 0, *, backed_up: bool = False) -> Passkey:
    return Passkey.create(
        user_id="u1",
        credential_id=b"credential",
        public_key=b"key",
        sign_count=sign_count,
        name="",
        now=NOW,
        backed_up=backed_up,
    )


# -- the rules --------------------------------------------------------------------------


def test_a_counter_must_move_forward_once_either_side_is_past_zero() -> None:
    key = make_passkey(sign_count=5)
    assert key.signed_in(6, NOW).sign_count == 6
    for stale in (5, 4, 0):
        with pytest.raises(Unauthenticated) as info:
            key.signed_in(stale, NOW)
        assert info.value.code == "invalid_passkey"


def test_a_key_without_a_counter_keeps_reporting_zero() -> None:
    key = make_passkey(sign_count=0)
    after = key.signed_in(0, NOW + timedelta(minutes=1))
    assert after.sign_count == 0 and after.last_used_at == NOW + timedelta(minutes=1)


def test_amr_says_whether_the_key_is_bound_to_hardware() -> None:
    assert make_passkey().amr == ("hwk",)
    assert make_passkey(backed_up=True).amr == ("swk",)


def test_a_challenge_serves_its_ceremony_and_user_for_five_minutes() -> None:
    challenge = Challenge.issue(b"x" * 32, Ceremony.REGISTRATION, "u1", NOW)
    challenge.check(Ceremony.REGISTRATION, "u1", NOW + CHALLENGE_TTL - timedelta(seconds=1))
    for ceremony, user, at in (
        (Ceremony.AUTHENTICATION, "u1", NOW),
        (Ceremony.REGISTRATION, "u2", NOW),
        (Ceremony.REGISTRATION, None, NOW),
        (Ceremony.REGISTRATION, "u1", NOW + CHALLENGE_TTL),
    ):
        with pytest.raises(Unauthenticated) as info:
            challenge.check(ceremony, user, at)
        assert info.value.code == "invalid_passkey_challenge"


def test_names_default_are_single_line_and_bounded() -> None:
    assert check_name("  ") == "Passkey"
    assert check_name(" laptop ") == "laptop"
    for bad in ("a\nb", "x" * 65):
        with pytest.raises(InvalidInput):
            check_name(bad)


# -- renaming (a use case of the pages only: docs/pages.md) ------------------------------


def actor(user_id: str = "u1") -> Actor:
    return Actor(user_id, user_id, "user", "s1", NOW + timedelta(minutes=15))


def stored_passkey() -> tuple[FakePasskeyRepository, Passkey]:
    passkeys = FakePasskeyRepository()
    passkeys.add(make_passkey(sign_count=3))
    (passkey,) = passkeys.passkeys.values()
    return passkeys, passkey


def renaming(passkeys: FakePasskeyRepository, cmd: RenamePasskey) -> Passkey:
    return AccountsWorld().passkey_cases(passkeys).rename(cmd)


def test_a_user_renames_their_passkey_and_keeps_the_rest() -> None:
    passkeys, before = stored_passkey()
    renamed = renaming(passkeys, RenamePasskey(actor(), before.id, " work laptop "))
    assert renamed == passkeys.passkeys[before.id] == replace(before, name="work laptop")
    blank = renaming(passkeys, RenamePasskey(actor(), before.id, "  "))
    assert blank.name == "Passkey"


@pytest.mark.parametrize(
    ("user_id", "passkey_id"),
    [("u2", None), ("u1", "A" * 43), ("u1", "not-a-passkey-id"), ("u1", "..")],
    ids=["another-users", "unknown", "malformed", "dots"],
)
def test_another_users_or_an_unknown_passkey_is_not_found(
    user_id: str, passkey_id: str | None
) -> None:
    passkeys, before = stored_passkey()
    with pytest.raises(NotFound) as info:
        renaming(passkeys, RenamePasskey(actor(user_id), passkey_id or before.id, "mine"))
    assert info.value.code == "passkey_not_found"
    assert passkeys.passkeys == {before.id: before}


@pytest.mark.parametrize("name", ["x" * 65, "two\nlines", "bell\a"])
def test_a_bad_name_changes_nothing(name: str) -> None:
    passkeys, before = stored_passkey()
    with pytest.raises(InvalidInput) as info:
        renaming(passkeys, RenamePasskey(actor(), before.id, name))
    assert [e.field for e in info.value.errors] == ["name"]
    assert passkeys.passkeys == {before.id: before}


# -- over HTTP ----------------------------------------------------------------------------


@dataclass
class World:
    client: FlaskClient
    clock: FakeClock
    audit: RecordingAuditLog
    store: InMemoryStore


def build_world(settings: Settings) -> World:
    store, clock, audit = InMemoryStore(), FakeClock(), RecordingAuditLog()
    adapters = swap(fake_adapters(settings, store), clock=clock, audit=audit)
    app = app_on(settings, adapters)
    return World(app.test_client(), clock, audit, store)


@pytest.fixture
def world() -> World:
    return build_world(make_settings())


def signed_up(world: World, name: str = "alice") -> tuple[str, SoftPasskey, dict[str, Any]]:
    register(world.client, name)
    token = login(world.client, name)
    key = SoftPasskey()
    return token, key, enrol(world.client, token, key, name="laptop")


def events(world: World, kind: Audit) -> list[tuple[str, str | None]]:
    return [(e.outcome, e.reason) for e in world.audit.events if e.event == kind]


def test_register_list_sign_in_and_delete(world: World) -> None:
    c = world.client
    token, key, made = signed_up(world)
    assert set(made) == {"id", "name", "created_at", "last_used_at"}
    assert made["name"] == "laptop" and made["last_used_at"] is None
    listed = c.get("/auth/passkeys", headers=bearer(token)).get_json()["items"]
    assert [item["id"] for item in listed] == [made["id"]]

    pair = c.post(SIGN_IN, json=assertion(c, key))
    assert pair.status_code == 200, pair.get_json()
    assert set(pair.get_json()) >= {"access_token", "refresh_token", "expires_in"}
    me = c.get("/user", headers=bearer(pair.get_json()["access_token"]))
    assert me.status_code == 200 and me.get_json()["username"] == "alice"
    whoami = c.get("/auth/whoami", headers=bearer(pair.get_json()["access_token"]))
    assert whoami.get_json()["amr"] == ["hwk"]
    refreshed = c.post("/auth/refresh", json={"refresh_token": pair.get_json()["refresh_token"]})
    assert refreshed.status_code == 200

    assert c.delete(f"/auth/passkeys/{made['id']}", headers=bearer(token)).status_code == 204
    assert c.get("/auth/passkeys", headers=bearer(token)).get_json()["items"] == []
    refused = c.post(SIGN_IN, json=assertion(c, key))
    # A credential nobody holds is told apart, for the pages' signal to the browser
    assert refused.status_code == 401 and refused.get_json()["code"] == "unknown_passkey"
    assert events(world, Audit.PASSKEY_REGISTERED) == [("success", None)]
    assert events(world, Audit.PASSKEY_DELETED) == [("success", None)]
    assert events(world, Audit.PASSKEY_SIGN_IN) == [
        ("success", None),
        ("failure", "unknown_passkey"),
    ]


def test_a_cloned_authenticator_is_refused(world: World) -> None:
    c = world.client
    _, key, _ = signed_up(world)
    clone = copy.copy(key)  # the same private key and counter, from now on apart
    assert c.post(SIGN_IN, json=assertion(c, key)).status_code == 200
    assert c.post(SIGN_IN, json=assertion(c, key)).status_code == 200
    refused = c.post(SIGN_IN, json=assertion(c, clone))  # counter 1, after 2
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_passkey"
    assert events(world, Audit.PASSKEY_SIGN_IN)[-1] == ("failure", "sign_count_regressed")


def test_two_sign_ins_with_one_counter_value_cannot_both_pass(world: World) -> None:
    c = world.client
    _, key, _ = signed_up(world)
    twin = copy.copy(key)
    first, second = assertion(c, key), assertion(c, twin)  # both counter 1, two challenges
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send(body: dict[str, Any]) -> None:
        barrier.wait()
        statuses.append(c.post(SIGN_IN, json=body).status_code)

    threads = [threading.Thread(target=send, args=(body,)) for body in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401]


def test_a_wrong_origin_is_refused(world: World) -> None:
    c = world.client
    _, key, _ = signed_up(world)
    refused = c.post(SIGN_IN, json=assertion(c, key, "https://evil.example"))
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_passkey"
    assert events(world, Audit.PASSKEY_SIGN_IN)[-1] == ("failure", "verification_failed")
    # ... and a registration made on another origin is not stored.
    token = login(c, "alice")
    options = c.post("/auth/passkeys/registration/options", headers=bearer(token)).get_json()
    body = SoftPasskey().register(options, "https://evil.example")
    made = c.post("/auth/passkeys/registration", headers=bearer(token), json=body)
    assert made.status_code == 422 and made.get_json()["code"] == "invalid_passkey"
    # The library's own message (it names the origins it expected) stays inside.
    assert made.get_json()["detail"] == "The passkey was not accepted."


def test_configured_origins_and_rp_id_are_the_ones_checked() -> None:
    world = build_world(
        make_settings(webauthn_rp_id="example.com", webauthn_origins=["https://app.example.com"])
    )
    c = world.client
    register(c)
    token = login(c)
    options = c.post("/auth/passkeys/registration/options", headers=bearer(token)).get_json()
    assert options["rp"]["id"] == "example.com"
    key = SoftPasskey()
    body = key.register(options, "https://app.example.com")
    assert (
        c.post("/auth/passkeys/registration", headers=bearer(token), json=body).status_code == 201
    )
    good = c.post(SIGN_IN, json=assertion(c, key, "https://app.example.com"))
    assert good.status_code == 200
    local = c.post(SIGN_IN, json=assertion(c, key, "http://localhost:8000"))
    assert local.status_code == 401


def test_a_challenge_is_spent_by_its_first_answer_and_lasts_five_minutes(world: World) -> None:
    c = world.client
    _, key, _ = signed_up(world)
    body = assertion(c, key)
    assert c.post(SIGN_IN, json=body).status_code == 200
    reused = c.post(SIGN_IN, json=body)
    assert reused.status_code == 401 and reused.get_json()["code"] == "invalid_passkey_challenge"

    late = assertion(c, key)
    world.clock.advance(minutes=5)
    expired = c.post(SIGN_IN, json=late)
    assert expired.status_code == 401
    assert expired.get_json()["code"] == "invalid_passkey_challenge"
    assert events(world, Audit.PASSKEY_SIGN_IN)[-2:] == [
        ("failure", "invalid_challenge"),
        ("failure", "invalid_challenge"),
    ]


def test_a_registration_challenge_does_not_sign_in_and_is_the_callers_only(
    world: World,
) -> None:
    c = world.client
    token, key, _ = signed_up(world)
    options = c.post("/auth/passkeys/registration/options", headers=bearer(token)).get_json()
    # A sign-in answering a registration challenge.
    crossed = key.sign_in({"rpId": "localhost", "challenge": options["challenge"]})
    assert c.post(SIGN_IN, json=crossed).get_json()["code"] == "invalid_passkey_challenge"
    # Bob answering alice's options.
    register(c, "bob")
    bob = login(c, "bob")
    options = c.post("/auth/passkeys/registration/options", headers=bearer(token)).get_json()
    body = SoftPasskey().register(options)
    stolen = c.post("/auth/passkeys/registration", headers=bearer(bob), json=body)
    assert stolen.status_code == 401
    assert stolen.get_json()["code"] == "invalid_passkey_challenge"


def test_user_verification_is_required(world: World) -> None:
    c = world.client
    register(c)
    token = login(c)
    options = c.post("/auth/passkeys/registration/options", headers=bearer(token)).get_json()
    unverified = SoftPasskey(verified=False)
    made = c.post(
        "/auth/passkeys/registration",
        headers=bearer(token),
        json=unverified.register(options),
    )
    assert made.status_code == 422 and made.get_json()["code"] == "invalid_passkey"


def test_a_passkey_is_registered_once(world: World) -> None:
    c = world.client
    token, key, _ = signed_up(world)
    options = c.post("/auth/passkeys/registration/options", headers=bearer(token)).get_json()
    assert len(options["excludeCredentials"]) == 1  # the authenticator would refuse it
    same = copy.copy(key)
    same.cred_init = lambda rp_id, user_handle: None  # keep the credential it has
    again = c.post(
        "/auth/passkeys/registration", headers=bearer(token), json=same.register(options)
    )
    assert again.status_code == 409 and again.get_json()["code"] == "passkey_exists"


def test_an_account_holds_a_bounded_number_of_passkeys(world: World) -> None:
    c = world.client
    register(c)
    token = login(c)
    for _ in range(MAX_PASSKEYS_PER_USER):
        enrol(c, token, SoftPasskey())
    options = c.post("/auth/passkeys/registration/options", headers=bearer(token)).get_json()
    body = SoftPasskey().register(options)
    refused = c.post("/auth/passkeys/registration", headers=bearer(token), json=body)
    assert refused.status_code == 409 and refused.get_json()["code"] == "too_many_passkeys"


def test_another_users_passkey_is_not_found(world: World) -> None:
    c = world.client
    _, _, made = signed_up(world)
    register(c, "bob")
    bob = login(c, "bob")
    assert c.get("/auth/passkeys", headers=bearer(bob)).get_json()["items"] == []
    gone = c.delete(f"/auth/passkeys/{made['id']}", headers=bearer(bob))
    assert gone.status_code == 404 and gone.get_json()["code"] == "passkey_not_found"
    assert c.delete("/auth/passkeys/not-an-id", headers=bearer(bob)).status_code == 404


def test_a_disabled_account_cannot_sign_in(world: World) -> None:
    c = world.client
    _, key, _ = signed_up(world)
    user_id = next(iter(world.store.users))
    world.store.users[user_id] = replace(world.store.users[user_id], disabled=True)
    refused = c.post(SIGN_IN, json=assertion(c, key))
    assert refused.status_code == 403 and refused.get_json()["code"] == "account_disabled"
    assert events(world, Audit.PASSKEY_SIGN_IN)[-1] == ("failure", "account_disabled")


def test_deleting_the_account_removes_its_passkeys(world: World) -> None:
    c = world.client
    token, key, _ = signed_up(world)
    assert c.delete("/user", headers=bearer(token)).status_code == 204
    refused = c.post(SIGN_IN, json=assertion(c, key))
    assert refused.status_code == 401 and refused.get_json()["code"] == "unknown_passkey"
    assert events(world, Audit.PASSKEY_SIGN_IN)[-1] == ("failure", "unknown_passkey")


def test_failed_password_logins_do_not_block_a_passkey_sign_in() -> None:
    world = build_world(make_settings(login_failures_per_account=2, login_failures_per_ip=2))
    c = world.client
    _, key, _ = signed_up(world)
    for _ in range(3):
        c.post("/login", json={"username": "alice", "password": "wrong " + PASSWORD})
    blocked = c.post("/login", json={"username": "alice", "password": PASSWORD})
    assert blocked.status_code == 429
    assert c.post(SIGN_IN, json=assertion(c, key)).status_code == 200


def test_the_unauthenticated_routes_have_a_per_address_limit() -> None:
    world = build_world(make_settings(rate_limit_passkeys="2/minute"))
    c = world.client
    assert [c.post(OPTIONS).status_code for _ in range(3)] == [200, 200, 429]
    answers = [c.post(SIGN_IN, json={}).status_code for _ in range(3)]
    assert answers == [422, 422, 429]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id": "x", "rawId": "x", "type": "public-key", "response": {}},
        {
            "id": "x",
            "rawId": "x",
            "type": "public-key",
            "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"},
        },
        {
            "id": "x",
            "rawId": "x",
            "type": "public-key",
            "response": {"clientDataJSON": "!!", "authenticatorData": "AA", "signature": "AA"},
        },
    ],
)
def test_bad_assertions_are_client_errors(world: World, body: dict[str, Any]) -> None:
    answer = world.client.post(SIGN_IN, json=body)
    assert 400 <= answer.status_code < 500
    assert answer.mimetype == "application/problem+json"


def test_a_forged_signature_is_refused(world: World) -> None:
    c = world.client
    _, key, _ = signed_up(world)
    body = assertion(c, key)
    other = SoftPasskey()
    other.cred_init("localhost", b"someone")
    body["response"]["signature"] = assertion(c, other)["response"]["signature"]
    refused = c.post(SIGN_IN, json=body)
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_passkey"


def deep_client_data(body: dict[str, Any]) -> dict[str, Any]:
    """The answer with a clientDataJSON nested 1,000 levels deep (2 KB, under every size cap)."""
    forged = copy.deepcopy(body)
    forged["response"]["clientDataJSON"] = b64url(b"[" * 1000 + b"]" * 1000)
    return forged


def test_deeply_nested_client_data_is_a_client_error(world: World) -> None:
    c = world.client
    token, key, _ = signed_up(world)
    refused = c.post(SIGN_IN, json=deep_client_data(assertion(c, key)))
    assert refused.status_code == 422 and refused.get_json()["code"] == "invalid_credential"
    options = c.post("/auth/passkeys/registration/options", headers=bearer(token)).get_json()
    body = deep_client_data(SoftPasskey().register(options))
    made = c.post("/auth/passkeys/registration", headers=bearer(token), json=body)
    assert made.status_code == 422 and made.get_json()["code"] == "invalid_credential"


def test_a_passkey_sign_in_satisfies_mfa(world: World) -> None:
    c = world.client
    token, key, _ = signed_up(world)
    started = c.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(token))
    code = pyotp.TOTP(started.get_json()["secret"]).at(world.clock.now())
    confirmed = c.post("/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(token))
    assert confirmed.status_code == 200, confirmed.get_json()
    by_password = c.post("/login", json={"username": "alice", "password": PASSWORD})
    assert (by_password.status_code, by_password.get_json()["code"]) == (401, "mfa_required")

    pair = c.post(SIGN_IN, json=assertion(c, key))
    assert pair.status_code == 200, pair.get_json()
    assert {"access_token", "refresh_token"} <= set(pair.get_json())
    whoami = c.get("/auth/whoami", headers=bearer(pair.get_json()["access_token"]))
    assert whoami.status_code == 200 and whoami.get_json()["amr"] == ["hwk"]
    assert events(world, Audit.PASSKEY_SIGN_IN)[-1] == ("success", None)


def test_an_assertion_for_another_rp_id_is_refused(world: World) -> None:
    c = world.client
    _, key, _ = signed_up(world)
    options = c.post(OPTIONS).get_json()
    key.rp_id = "evil.example"  # the same credential, its authenticator data for another RP
    body = key.sign_in({**options, "rpId": "evil.example"})
    refused = c.post(SIGN_IN, json=body)
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_passkey"
    assert events(world, Audit.PASSKEY_SIGN_IN)[-1] == ("failure", "verification_failed")
    key.rp_id = "localhost"  # the signature was right: only the RP ID hash was not
    assert c.post(SIGN_IN, json=assertion(c, key)).status_code == 200


def test_the_operators_mfa_reset_removes_every_passkey(world: World) -> None:
    c = world.client
    _, key, _ = signed_up(world)
    result = c.application.test_cli_runner().invoke(args=["users", "reset-mfa", "alice"])
    assert result.exit_code == 0 and "passkeys are removed" in result.output
    # A lost or stolen authenticator signs in no more; the password still does.
    refused = c.post(SIGN_IN, json=assertion(c, key))
    assert refused.status_code == 401 and refused.get_json()["code"] == "unknown_passkey"
    listed = c.get("/auth/passkeys", headers=bearer(login(c, "alice")))
    assert listed.status_code == 200 and listed.get_json()["items"] == []
