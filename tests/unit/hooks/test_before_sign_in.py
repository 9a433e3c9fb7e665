"""The ``before_sign_in`` hook through the app on the fakes (docs/hooks.md, "before_sign_in"):
asked on every way a session is made (enumerated from the code, one test per way), its deny a
403 ``signin_denied`` that stores nothing, its ``require`` asked for by the second step, its
``session_claims`` in every token of the session, and a bad answer resolved by ``on_failure``."""

from __future__ import annotations

import ast
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from scripts.units_contract import unit_names

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.ports import Audit
from bootstrap.accounts import AccountsAdapters
from bootstrap.federation import FederationAdapters, configured_providers
from domain.hooks.auth_hooks import (
    BadAnswer,
    RequiredFactor,
    SignInDecision,
    checked_sign_in_answer,
)
from domain.hooks.before_sign_in import FAILED_CLOSED, joined_verdict, missing_factors
from domain.signin.active_org import ActiveOrg
from tests.fakes.claims import CLAIMS as SERVICE_CLAIMS
from tests.fakes.federation import FakeUpstreamProviders
from tests.support.api import PASSWORD, assert_problem, bearer, register
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.guest_accounts import new_guest
from tests.support.hook_kinds import BEFORE_SIGN_IN
from tests.support.oidc_idp import CLIENT_ID, CLIENT_SECRET, oidc_idp, upstream_round_trip
from tests.support.pages import csrf
from tests.support.passkey_authenticator import add_passkey, passkey_sign_in
from tests.support.session_starts import session_starters
from tests.support.sign_in_hooks import DENY, RECEIVER, denied, hook, payloads, receiver
from tests.support.source_trees import trees_naming
from tests.support.sso import idp_keys, sso
from tests.support.sso_world import SamlSso, oidc_sso, signed_in
from tests.support.taken_out import taken_out
from tests.support.totp import next_code, register_with_totp
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
__all__ = ["idp_keys", "sso"]  # fixtures
SRC = Path(__file__).resolve().parents[3] / "src"


def claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


def login(world: World, name: str = "alice") -> Any:
    return world.client.post("/login", json={"username": name, "password": PASSWORD})


ACME = ActiveOrg(id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=3)
CLAIMS = {"decision": "allow", "session_claims": {"tier": "gold"}}


@pytest.fixture
def world() -> World:
    w = World(app_profile="local")
    register(w.client, "alice")
    return w


# -- the answer's shape -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        {"decision": "maybe"},
        {"decision": "require"},  # requires nothing
        {"decision": "require", "require": ["fingerprint"]},
        {"decision": "require", "require": "otp"},
        {"decision": "allow", "session_claims": {"sub": "someone-else"}},
        {"decision": "allow", "session_claims": {"acr": "x"}},
        {"decision": "allow", "session_claims": {"blob": "x" * 1000}},
        {"decision": "allow", "session_claims": ["tier"]},
        {"decision": "deny", "message": "x" * 201},
    ],
)
def test_an_answer_of_the_wrong_shape_is_refused(answer: dict[str, object]) -> None:
    with pytest.raises(BadAnswer):
        checked_sign_in_answer(answer, SERVICE_CLAIMS.reserved)  # the service's reserved claims


def test_an_answer_is_read_and_the_test_kit_knows_the_kind() -> None:
    answer = {"decision": "require", "require": ["otp", "passkey", "otp"], "message": "More"}
    checked = checked_sign_in_answer({**answer, "session_claims": {"tier": "gold"}})
    assert checked.decision is SignInDecision.REQUIRE
    assert checked.require == (RequiredFactor.OTP, RequiredFactor.PASSKEY)
    assert checked.session_claims == {"tier": "gold"}
    assert BEFORE_SIGN_IN.check({"decision": "allow"}, SERVICE_CLAIMS.reserved) == (
        checked_sign_in_answer({"decision": "allow"})
    )


def test_several_answers_join_the_first_deny_decides_and_claims_merge_in_order() -> None:
    first = checked_sign_in_answer(
        {"decision": "require", "require": ["otp"], "session_claims": {"a": 1, "b": 1}}
    )
    second = checked_sign_in_answer(
        {"decision": "require", "require": ["passkey"], "session_claims": {"b": 2}}
    )
    joined = joined_verdict([first, second])
    assert not joined.denied and joined.require == (RequiredFactor.OTP, RequiredFactor.PASSKEY)
    assert dict(joined.session_claims) == {"a": 1, "b": 2}
    denied = joined_verdict([first, checked_sign_in_answer({**DENY}), second])
    assert denied.denied and denied.message == "Not from this network."
    assert joined_verdict([first, None]).message == FAILED_CLOSED
    assert missing_factors(joined.require, ("pwd", "otp")) == (RequiredFactor.PASSKEY,)
    assert missing_factors(joined.require, ("hwk", "otp")) == ()


# -- the payload, a deny, a failure -------------------------------------------------------------


def test_a_password_sign_in_is_asked_with_the_payload(world: World) -> None:
    hook(world, {"decision": "allow"})
    assert login(world).status_code == 200
    [payload] = payloads(world)
    assert set(payload) == {"user", "method", "amr", "org", "client", "context"}
    assert payload["user"]["username"] == "alice" and payload["method"] == "password"
    assert payload["amr"] == ["pwd"] and payload["org"] is None and payload["client"] is None
    assert payload["context"]["ip"] and payload["context"]["user_agent"] is not None
    assert PASSWORD not in json.dumps(payload)


def test_a_deny_is_a_403_with_the_message_and_stores_nothing() -> None:
    w = World(app_profile="local")
    register(w.client, "alice")
    user = w.adapters.of(AccountsAdapters).users.find_by_login("alice")
    assert user is not None and not user.has_signed_in
    hook(w, DENY)
    denied = login(w)
    assert assert_problem(denied, 403, "signin_denied")["detail"] == "Not from this network."
    assert denied.headers["Content-Type"] == "application/problem+json"
    assert "device_token" not in denied.get_json()
    assert not w.store.sessions
    after = w.adapters.of(AccountsAdapters).users.find_by_login("alice")
    assert after is not None and not after.has_signed_in  # no "first sign-in" mark
    assert not [e for e in w.audit.events if e.event is Audit.NEW_DEVICE]
    refused = [e for e in w.audit.events if e.event is Audit.LOGIN and e.outcome == "failure"]
    assert [e.reason for e in refused] == ["signin_denied"]


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "This sign-in was refused. The service says: “Not from this network.”"),
        ("es", "Se ha rechazado este inicio de sesión. El servicio dice: «Not from this network.»"),
    ],
)
def test_a_deny_on_the_sign_in_page_shows_the_hooks_words_in_a_sentence_of_ours(
    world: World, locale: str, words: str
) -> None:
    hook(world, DENY)
    client = world.client
    client.set_cookie("locale", locale)
    token = csrf(client, "/sign-in")
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token}
    answer = client.post("/sign-in", data=form, headers={"Accept-Language": locale})
    assert answer.status_code == 403
    assert words in answer.get_data(as_text=True).replace("&#34;", '"')
    assert not signed_in(client)


@pytest.mark.parametrize("on_failure", ["allow", "deny"])
def test_a_bad_answer_is_a_failure_on_failure_resolves(world: World, on_failure: str) -> None:
    hook(world, {"decision": "allow", "session_claims": {"sub": "x"}}, on_failure=on_failure)
    answer = login(world)
    if on_failure == "allow":
        assert answer.status_code == 200
        assert (
            "sub" not in claims(answer.get_json()["access_token"])
            or claims(answer.get_json()["access_token"])["sub"] != "x"
        )
    else:
        assert assert_problem(answer, 403, "signin_denied")["detail"] == FAILED_CLOSED


# -- require ------------------------------------------------------------------------------------


def test_require_otp_asks_the_second_step_then_the_hook_again() -> None:
    w = World(app_profile="local")
    secret, _ = register_with_totp(w.client, "bob")
    hook(w, {"decision": "require", "require": ["otp"], "session_claims": {"tier": "gold"}})
    # A password login of an account with a factor is asked for it before the hook: the hook
    # then sees its amr with "otp", and does not ask again.
    first = w.client.post("/login", json={"username": "bob", "password": PASSWORD})
    assert assert_problem(first, 401, "mfa_required")
    done = w.client.post(
        "/login/mfa",
        json={"mfa_token": first.get_json()["mfa_token"], "code": next_code(secret, w.client)},
    )
    assert done.status_code == 200, done.get_json()
    assert claims(done.get_json()["access_token"])["tier"] == "gold"
    assert [p["amr"] for p in payloads(w)] == [["pwd", "otp"]]


def test_require_otp_of_a_way_in_without_it_asks_the_second_step() -> None:
    """A passkey's sign-in shows no code: the hook's require sends it to the login's second
    step (the MFA challenge), which asks the hook again with the code in its amr."""
    w = World(app_profile="local")
    secret, _ = register_with_totp(w.client, "bob")
    pair = w.client.post("/login", json={"username": "bob", "password": PASSWORD})
    mfa = pair.get_json()["mfa_token"]
    token = w.client.post(
        "/login/mfa", json={"mfa_token": mfa, "code": next_code(secret, w.client)}
    ).get_json()["access_token"]
    key = add_passkey(w.client, token)
    w.clock.advance(seconds=60)
    hook(w, {"decision": "require", "require": ["otp"]})
    asked = passkey_sign_in(w.client, key)
    problem = assert_problem(asked, 401, "mfa_required")
    w.clock.advance(seconds=30)
    done = w.client.post(
        "/login/mfa", json={"mfa_token": problem["mfa_token"], "code": next_code(secret, w.client)}
    )
    assert done.status_code == 200, done.get_json()
    assert claims(done.get_json()["access_token"])["amr"] == ["hwk", "otp"]
    assert [p["amr"] for p in payloads(w)] == [["hwk"], ["hwk", "otp"]]


def test_require_a_factor_the_account_lacks_is_a_clear_403(world: World) -> None:
    hook(world, {"decision": "require", "require": ["otp"]})
    problem = assert_problem(login(world), 403, "signin_factor_unavailable")
    assert "authenticator app" in problem["detail"]
    hook(world, {"decision": "require", "require": ["passkey"]})
    assert "passkey" in assert_problem(login(world), 403, "signin_factor_unavailable")["detail"]
    assert not world.store.sessions


def test_require_a_passkey_of_an_account_with_one_is_met_by_signing_in_with_it(
    world: World,
) -> None:
    key = add_passkey(world.client, login(world).get_json()["access_token"])
    hook(world, {"decision": "require", "require": ["passkey"], "session_claims": {"k": 1}})
    assert_problem(login(world), 403, "signin_passkey_required")
    by_key = passkey_sign_in(world.client, key)
    assert by_key.status_code == 200, by_key.get_json()
    assert claims(by_key.get_json()["access_token"])["k"] == 1


# -- session_claims in every token of the session -----------------------------------------------


def test_session_claims_are_in_every_token_of_the_session(world: World) -> None:
    hook(world, CLAIMS)
    pair = login(world).get_json()
    assert claims(pair["access_token"])["tier"] == "gold"
    refreshed = world.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert claims(refreshed.get_json()["access_token"])["tier"] == "gold"
    access = refreshed.get_json()["access_token"]
    renewed = world.client.post("/auth/renew", headers=bearer(access))
    assert renewed.status_code == 200, renewed.get_json()
    assert claims(renewed.get_json()["access_token"])["tier"] == "gold"
    user = world.adapters.of(AccountsAdapters).users.find_by_login("alice")
    assert user is not None
    world.store.active_orgs[(ACME.id, user.id)] = ACME
    switched = world.client.post("/auth/org", json={"org": ACME.id}, headers=bearer(access))
    assert switched.status_code == 200, switched.get_json()
    assert claims(switched.get_json()["access_token"])["tier"] == "gold"
    custom = world.client.post("/auth/firebase/custom-token", headers=bearer(access))
    assert custom.status_code == 200, custom.get_json()
    body = custom.get_json()["custom_token"].split(".")[1]
    minted = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert minted["claims"]["tier"] == "gold"
    [session] = world.store.sessions.values()
    assert dict(session.claims) == {"tier": "gold"}
    assert len(payloads(world)) == 1  # asked at the sign-in only


def test_before_token_wins_a_clash_and_both_are_added(world: World) -> None:
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "before_token", RECEIVER))
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "before_sign_in", RECEIVER))
    # one fake receiver answers both kinds: each reads only its own fields
    receiver(world).answer = {
        "decision": "allow",
        "session_claims": {"tier": "gold", "plan": "free"},
        "claims": {"plan": "pro"},
    }
    token = claims(login(world).get_json()["access_token"])
    assert (token["tier"], token["plan"]) == ("gold", "pro")


# -- every way in -------------------------------------------------------------------------------


def test_way_password(world: World) -> None:
    hook(world, DENY)
    denied(login(world))
    assert [p["method"] for p in payloads(world)] == ["password"]


def test_way_second_step() -> None:
    w = World(app_profile="local")
    secret, _ = register_with_totp(w.client, "bob")
    first = w.client.post("/login", json={"username": "bob", "password": PASSWORD})
    hook(w, DENY)
    body = {"mfa_token": first.get_json()["mfa_token"], "code": next_code(secret, w.client)}
    denied(w.client.post("/login/mfa", json=body))
    assert [p["amr"] for p in payloads(w)] == [["pwd", "otp"]]


def test_way_email_code(world: World) -> None:
    hook(world, DENY)
    register(world.client, "carol", email="carol@example.com")
    asked = world.client.post("/auth/email-code", json={"email": "carol@example.com"})
    world.deliver()
    code = code_in(world.mailer.to("carol@example.com")[-1].text)
    body = {"flow_id": asked.get_json()["flow_id"], "code": code}
    denied(world.client.post("/auth/email-code/verify", json=body))
    assert [(p["method"], p["amr"]) for p in payloads(world)] == [("email_code", ["email"])]


def test_way_passkey(world: World) -> None:
    key = add_passkey(world.client, login(world).get_json()["access_token"])
    hook(world, DENY)
    denied(passkey_sign_in(world.client, key))
    assert [p["amr"] for p in payloads(world)] == [["hwk"]]


def test_way_guest_upgrade() -> None:
    """A guest's upgrade is a sign-in: the hook is asked before its commit, with the account
    as it will be, and its deny leaves the guest a guest (every way of upgrading:
    tests/unit/accounts/test_every_guest_upgrade_passes_one_door.py)."""
    w = World(app_profile="local")
    guest = new_guest(w.client).access_token
    hook(w, DENY)
    body = {"username": "gus", "email": "gus@example.com", "password": PASSWORD}
    denied(w.client.post("/auth/guest/upgrade", json=body, headers=bearer(guest)))
    [payload] = payloads(w)
    assert (payload["method"], payload["amr"]) == ("guest_upgrade", [])
    assert payload["user"]["username"] == "gus"
    assert w.client.get("/user", headers=bearer(guest)).get_json()["guest"] is True


def test_way_firebase() -> None:
    w = World(app_profile="local")
    hook(w, DENY)
    token = w.verifier.issue("uid-ann", email="ann@example.com")
    denied(w.client.post("/auth/firebase", json={"id_token": token}))
    assert [(p["method"], p["amr"]) for p in payloads(w)] == [("firebase", ["fed"])]


def test_way_firebase_anonymous_guest() -> None:
    w = World(app_profile="local")
    guest = new_guest(w.client).access_token
    hook(w, DENY)
    token = w.verifier.issue("uid-anon", anonymous=True)
    answer = w.client.post("/auth/firebase", json={"id_token": token}, headers=bearer(guest))
    denied(answer)
    assert [p["method"] for p in payloads(w)] == ["firebase"]


@pytest.fixture(scope="module")
def idp() -> Iterator[Any]:
    with oidc_idp() as found:
        yield found


def test_way_upstream(idp: Any) -> None:
    provider = {"id": "corp", "issuer": idp.issuer, "client_id": CLIENT_ID}
    w = World(
        app_profile="local", upstream_providers=[{**provider, "client_secret": CLIENT_SECRET}]
    )
    for configured in configured_providers(w.settings, FakeUpstreamProviders()).list_all():
        w.adapters.of(FederationAdapters).upstream_providers.add(configured)
    hook(w, DENY)
    answer = upstream_round_trip(w.app, idp, "dan@example.com", "sub-dan")
    assert answer.status_code == 403
    assert "Not from this network." in answer.get_data(as_text=True)
    assert [(p["method"], p["amr"]) for p in payloads(w)] == [("upstream", ["fed"])]


def test_way_sso() -> None:
    with oidc_sso() as sso:
        w = sso.world
        hook(w, DENY)
        browser = w.app.test_client()
        answer = sso.sign_in(browser, "ann@corp.example", ("Staff",))
        assert "Not from this network." in answer.get_data(as_text=True)
        assert not signed_in(browser)
        [payload] = payloads(w)
        assert (payload["method"], payload["amr"]) == ("sso", ["fed"])
        assert payload["org"] == {"id": sso.org_id}


def test_way_sso_saml(sso: SamlSso) -> None:
    w = sso.world
    hook(w, DENY)
    browser = w.app.test_client()
    answer = sso.sign_in(browser, "ann@corp.example", ("Staff",))
    assert "Not from this network." in answer.get_data(as_text=True)
    assert not signed_in(browser)
    [payload] = payloads(w)
    assert (payload["method"], payload["amr"], payload["org"]) == (
        "sso",
        ["fed"],
        {"id": sso.org_id},
    )


# Every place in the application that signs a person in (a SignInRequest made, or the linking
# module's sign-in called), by module and function, and the tests above that walk it.
WAYS: dict[str, tuple[str, ...]] = {
    "signin/login.py:_signed_in": ("test_way_password",),
    "signin/login.py:finish_mfa": ("test_way_second_step",),
    # (and the phone unit's texted code: tests/unit/phone/test_phone_code_sign_in_hook.py)
    "signin/codes/flow.py:signed_in": ("test_way_email_code",),
    "signin/factors/passkeys.py:sign_in": ("test_way_passkey",),
    # the guests unit's POST /auth/guest: its test is the unit's
    # (tests/unit/guests/test_guests_way_in.py)
    "guests/way_in.py:start": (),
    # a guest's upgrade, asked before its commit (UpgradeSignIns)
    "signin/sign_in.py:__call__": ("test_way_guest_upgrade",),
    "federation/firebase.py:sign_in": ("test_way_firebase",),
    "federation/firebase.py:_upgrade": ("test_way_firebase_anonymous_guest",),
    "federation/upstream.py:_signed_in": ("test_way_upstream",),
    "sso/arrival.py:arrive": ("test_way_sso", "test_way_sso_saml"),
    # the linking module's own sign-in, which the ways above through it call
    "federation/linking.py:sign_in_external": (),
    "federation/linking.py:sign_in_as": (),
}
SIGNING_IN = {"SignInRequest", "sign_in_external", "sign_in_as"}


def _ways_in() -> set[str]:
    found = set()
    root = SRC / "application"
    for path, tree in trees_naming(root, *SIGNING_IN):
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Call):
                    continue
                callee = node.func
                name = getattr(callee, "id", None) or getattr(callee, "attr", None)
                if name in SIGNING_IN:
                    found.add(f"{path.relative_to(root).as_posix()}:{function.name}")
    return found


def test_every_way_in_is_known_and_has_a_test() -> None:
    gone = taken_out()  # a unit's way in, taken out of this copy (scripts/remove_unit.py)
    kept = {way for way in WAYS if not gone.holds(f"src/application/{way.split(':')[0]}")}
    assert _ways_in() == kept
    tests = {name for name in globals() if name.startswith("test_way_")}
    assert {name for names in WAYS.values() for name in names} == tests


def test_no_session_is_made_but_by_the_sign_in_step() -> None:
    """``start_session`` is called by ``SignIn`` alone, so no way in misses the hook; a unit
    may call it for a session that is no sign-in of the person's (support access's, its own
    tests: tests/unit/support_access/test_impersonation.py) (docs/hooks.md,
    "before_sign_in")."""
    units = set(unit_names())
    core = {(path, name) for path, name in session_starters() if path.parts[0] not in units}
    assert core == {(Path("signin/sign_in.py"), "__call__")}


def test_the_providers_sign_in_page_names_the_client_it_signs_in_for(world: World) -> None:
    hook(world, {"decision": "allow"})
    client = world.client
    back = "/authorize?" + urlencode({"client_id": "c_app", "response_type": "code"})
    token = csrf(client, "/sign-in")
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token}
    answer = client.post("/sign-in?" + urlencode({"next": back}), data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    [payload] = payloads(world)
    assert payload["client"] == {"client_id": "c_app"} and payload["method"] == "password"
    receiver(world).asked.clear()
    other = world.app.test_client()
    form = {**form, "csrf_token": csrf(other, "/sign-in")}
    other.post("/sign-in?" + urlencode({"next": "/account"}), data=form)
    assert [p["client"] for p in payloads(world)] == [None]
