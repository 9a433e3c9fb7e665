"""Sign-in by a mailed code on fakes (docs/reference/email-code.md): the answer is the same
for every address, one live code per address, five wrong codes void the flow and count in
the login throttle, a code works once for ten minutes, requests per address are limited, a
new address gets an account, a second factor and an org's single sign-on answer as for a
password."""

from __future__ import annotations

from typing import Any

import pytest

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.ports import Audit
from application.signin.codes.email import OpenEmailLink, RequestEmailCode, SignInByLink
from application.signin.services import SigninServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.provider import ProviderAdapters
from bootstrap.signin_adapters import SigninAdapters
from domain.errors import PermissionDenied, Unauthenticated
from domain.provider.grants import Consent
from domain.signin.codes.email_codes import secret_hash
from tests.fakes.provider import FakeOAuthGrants
from tests.support.api import PASSWORD, bearer, register
from tests.support.app import World
from tests.support.email_codes import code_in, link_in
from tests.support.sso import idp_keys, sso
from tests.support.sso_world import SamlSso
from tests.support.totp import register_with_totp

pytestmark = pytest.mark.unit
__all__ = ["idp_keys", "sso"]  # fixtures


@pytest.fixture
def world() -> World:
    return World()


def ask(world: World, email: str) -> Any:
    return world.client.post("/auth/email-code", json={"email": email})


def mailed(world: World, email: str) -> tuple[str, str, str]:
    """The code, flow and token of the last code mail to ``email``."""
    world.deliver()
    mail = [m for m in world.mailer.to(email) if "/sign-in/email?" in m.text][-1]
    _, token = link_in(mail.text)
    flow = world.adapters.of(SigninAdapters).email_codes.by_link(secret_hash(token))
    assert flow is not None
    return code_in(mail.text), flow.id, token


def verify(world: World, flow_id: str, code: str) -> Any:
    return world.client.post("/auth/email-code/verify", json={"flow_id": flow_id, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def verified_user(world: World, username: str) -> None:
    """A registered account whose address is proven (through its verification mail)."""
    world.deliver()
    token = world.token(f"{username}@example.com", "/verify-email")
    assert world.client.post("/auth/email/verify", json={"token": token}).status_code == 200


def test_same_answer_for_any_address_then_one_sign_in_per_code(world: World) -> None:
    register(world.client, "alice")
    verified_user(world, "alice")
    known, unknown = ask(world, "alice@example.com"), ask(world, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert set(known.get_json()) == set(unknown.get_json()) == {"flow_id", "expires_in"}
    assert known.get_json()["expires_in"] == 600
    assert known.get_json()["flow_id"] != unknown.get_json()["flow_id"]
    code, flow, token = mailed(world, "alice@example.com")
    assert flow == known.get_json()["flow_id"]
    # Only hashes are stored.
    stored = repr(world.adapters.of(SigninAdapters).email_codes.get(flow))
    assert code not in stored and token not in stored
    signed_in = verify(world, flow, code)
    assert signed_in.status_code == 200, signed_in.get_json()
    who = world.client.get("/auth/whoami", headers=bearer(signed_in.get_json()["access_token"]))
    assert who.get_json()["amr"] == ["email"]
    again = verify(world, flow, code)
    assert again.status_code == 401 and again.get_json()["code"] == "invalid_email_flow"
    [event] = [e for e in world.audit.events if e.event is Audit.LOGIN and e.outcome == "success"]
    assert event.method == "email_code"


def test_a_code_for_an_address_without_account_signs_it_up(world: World) -> None:
    world.clock.advance(minutes=-5)  # the tokens' times stay behind the wall clock's
    register(world.client, "carol", email="carol@elsewhere.example")
    flow = ask(world, "carol@example.com").get_json()["flow_id"]
    code, _, _ = mailed(world, "carol@example.com")
    answer = verify(world, flow, code)
    assert answer.status_code == 200, answer.get_json()
    me = world.client.get("/user", headers=bearer(answer.get_json()["access_token"]))
    user = me.get_json()
    assert user["email"] == "carol@example.com" and user["email_verified"] is True
    assert user["username"].startswith("carol_") and user["username"] != "carol"
    [account] = [u for u in world.store.users.values() if u.id == user["id"]]
    assert account.password_hash is None
    # The new account signs in by code again, as itself.
    world.clock.advance(seconds=31)
    again = ask(world, "carol@example.com").get_json()["flow_id"]
    code, _, _ = mailed(world, "carol@example.com")
    second = verify(world, again, code)
    me = world.client.get("/user", headers=bearer(second.get_json()["access_token"]))
    assert me.get_json()["id"] == user["id"]


def test_a_new_request_voids_the_code_before(world: World) -> None:
    first = ask(world, "dave@example.com").get_json()["flow_id"]
    old_code, _, _ = mailed(world, "dave@example.com")
    world.clock.advance(seconds=30)
    second = ask(world, "dave@example.com").get_json()["flow_id"]
    new_code, _, _ = mailed(world, "dave@example.com")
    void = verify(world, first, old_code)
    assert void.status_code == 401 and void.get_json()["code"] == "invalid_email_flow"
    assert verify(world, second, new_code).status_code == 200


def test_five_wrong_codes_void_the_flow_and_count_in_the_throttle(world: World) -> None:
    erin = register(world.client, "erin")
    flow = ask(world, "erin@example.com").get_json()["flow_id"]
    code, _, _ = mailed(world, "erin@example.com")
    for _ in range(5):
        answer = verify(world, flow, wrong(code))
        assert answer.status_code == 401 and answer.get_json()["code"] == "invalid_email_code"
    void = verify(world, flow, code)
    assert void.status_code == 401 and void.get_json()["code"] == "invalid_email_flow"
    throttle = world.adapters.of(SigninAdapters).throttle
    records = throttle.load(["account:erin@example.com", "ip:127.0.0.1"])
    assert records["account:erin@example.com"].failures == 5
    assert records["ip:127.0.0.1"].failures == 5
    failures = [e for e in world.audit.events if e.event is Audit.LOGIN and e.outcome == "failure"]
    assert [e.reason for e in failures] == ["wrong_code"] * 5
    assert {(e.method, e.user_id) for e in failures} == {("email_code", erin["id"])}


def test_a_code_lasts_ten_minutes(world: World) -> None:
    flow = ask(world, "fay@example.com").get_json()["flow_id"]
    code, _, _ = mailed(world, "fay@example.com")
    world.clock.advance(minutes=10)
    late = verify(world, flow, code)
    assert late.status_code == 401 and late.get_json()["code"] == "invalid_email_flow"


def test_requests_per_address_are_limited_whatever_the_rate_limit_setting() -> None:
    world = World(rate_limit_enabled=False)
    assert ask(world, "gus@example.com").status_code == 202
    soon = ask(world, "GUS@example.com")
    assert soon.status_code == 429 and soon.get_json()["code"] == "email_code_rate_limited"
    assert soon.headers["Retry-After"] == "30"
    for _ in range(4):
        world.clock.advance(seconds=30)
        assert ask(world, "gus@example.com").status_code == 202
    world.clock.advance(seconds=30)
    sixth = ask(world, "gus@example.com")
    assert sixth.status_code == 429 and sixth.headers["Retry-After"] == str(3600 - 150)
    assert ask(world, "other@example.com").status_code == 202


def test_a_second_factor_answers_mfa_required_as_for_a_password(world: World) -> None:
    secret, recovery = register_with_totp(world.client, "hana")
    verified_user(world, "hana")
    flow = ask(world, "hana@example.com").get_json()["flow_id"]
    code, _, _ = mailed(world, "hana@example.com")
    answer = verify(world, flow, code)
    problem = answer.get_json()
    assert answer.status_code == 401 and problem["code"] == "mfa_required", problem
    finished = world.client.post(
        "/login/mfa", json={"mfa_token": problem["mfa_token"], "recovery_code": recovery[0]}
    )
    assert finished.status_code == 200, finished.get_json()
    who = world.client.get("/auth/whoami", headers=bearer(finished.get_json()["access_token"]))
    assert who.get_json()["amr"] == ["email", "otp"]
    assert secret


def test_an_unproven_address_is_won_by_the_code(world: World) -> None:
    """The first proof of the address wins the account: the password set without it goes
    (docs/decisions/0104-first-proof-of-address-wins.md)."""
    register(world.client, "ivan")
    flow = ask(world, "ivan@example.com").get_json()["flow_id"]
    code, _, _ = mailed(world, "ivan@example.com")
    assert verify(world, flow, code).status_code == 200
    old = world.client.post("/login", json={"username": "ivan", "password": PASSWORD})
    assert old.status_code == 401
    [user] = [u for u in world.store.users.values() if u.shown_name == "ivan"]
    assert user.email_verified and user.password_hash is None


def test_the_codes_claim_takes_the_apps_the_squatter_allowed_and_is_recorded(
    world: World,
) -> None:
    """As every first proof does (docs/decisions/0496-one-first-proof.md): the squatter's
    consents and grants go with the claim, and ``account_claimed`` says how."""
    made = register(world.client, "ivo")
    grants = world.adapters.of(ProviderAdapters).oauth_grants
    assert isinstance(grants, FakeOAuthGrants)
    grants.consents[made["id"], "app"] = Consent(made["id"], "app", ("openid",), world.clock.now())
    flow = ask(world, "ivo@example.com").get_json()["flow_id"]
    code, _, _ = mailed(world, "ivo@example.com")
    assert verify(world, flow, code).status_code == 200
    assert grants.consents == {}
    claimed = [e for e in world.audit.events if e.event is Audit.ACCOUNT_CLAIMED]
    assert [(e.user_id, e.reason) for e in claimed] == [(made["id"], "email_code")]


def test_off_answers_404_email_code_disabled() -> None:
    world = World(passwordless_email=False)
    answer = ask(world, "jo@example.com")
    assert answer.status_code == 404 and answer.get_json()["code"] == "email_code_disabled"
    verified = verify(world, "f" * 32, "123456")
    assert verified.status_code == 404 and verified.get_json()["code"] == "email_code_disabled"


@pytest.mark.parametrize(
    "body",
    [{"email": "not an address"}, {"email": "a@example.com", "role": "admin"}, {}],
    ids=["bad", "unknown_field", "missing"],
)
def test_bad_requests_are_422(world: World, body: dict[str, str]) -> None:
    assert world.client.post("/auth/email-code", json=body).status_code == 422


@pytest.mark.parametrize("flow_id", ["../x", "é" * 4, "f" * 32], ids=["path", "utf8", "unknown"])
def test_an_unknown_flow_is_401(world: World, flow_id: str) -> None:
    answer = verify(world, flow_id, "123456")
    assert answer.status_code == 401 and answer.get_json()["code"] == "invalid_email_flow"


def test_the_link_signs_in_only_the_browser_that_asked(world: World) -> None:
    codes = world.services.of(SigninServices).email_codes
    started = codes.request(RequestEmailCode("kim@example.com", browser_secret="cookie-1"))
    code, flow, token = mailed(world, "kim@example.com")
    assert flow == started.flow_id
    elsewhere = codes.open_link(OpenEmailLink(token))
    assert not elsewhere.same_browser and elsewhere.code == code
    here = codes.open_link(OpenEmailLink(token, "cookie-1"))
    assert here.same_browser and here.code == code
    with pytest.raises(PermissionDenied):
        codes.sign_in_by_link(SignInByLink(token, "another-browser"))
    with pytest.raises(Unauthenticated):
        codes.open_link(OpenEmailLink(token + "x", "cookie-1"))
    pair = codes.sign_in_by_link(SignInByLink(token, "cookie-1"))
    assert pair.access_token
    with pytest.raises(Unauthenticated):
        codes.open_link(OpenEmailLink(token, "cookie-1"))


def test_an_org_that_requires_its_single_sign_on_answers_403_sso_required(sso: SamlSso) -> None:
    world = sso.world
    made = register(world.client, "mel", email="mel@corp.example")
    world.adapters.of(AccountsAdapters).users.update(
        made["id"], lambda u: u.with_email_verified(u.updated_at)
    )
    world.services.of(OrgServices).members.add_member(AddMember(sso.org_id, "mel", ("member",)))
    on = world.client.patch("/orgs/corp", json={"require_sso": True}, headers=sso.owner)
    assert on.status_code == 200, on.get_json()
    flow = ask(world, "mel@corp.example").get_json()["flow_id"]
    code, _, _ = mailed(world, "mel@corp.example")
    answer = verify(world, flow, code)
    assert answer.status_code == 403 and answer.get_json()["code"] == "sso_required"
