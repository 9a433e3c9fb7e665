"""The ``before_token`` hook in every kind of token firegate issues, on the fakes: what it is
told, and its claims added under firegate's own (docs/hooks.md, "before_token")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from application.federation.firebase import CustomToken, Firebase
from application.federation.upstream import with_devices
from application.orgs.active import OrgSwitching, SwitchOrg
from application.ports import NO_METRICS
from application.provider.minting import HOOK_CLAIMS, MintAccessToken, MintIdToken, TokenMint
from application.provider.ports import OAuthPolicy
from application.signin.authentication import Actor, Authenticate, Authentication
from application.signin.ports import NO_TOKEN_HOOK
from application.signin.sessions import Refresh, Renew
from application.signin.tokens import hook_claims
from bootstrap.provider_keys import provider_tokens
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.federation.acting import firebase_resource
from domain.hooks.before_token import NO_CLAIMS
from domain.provider.claims_request import PROVIDER_CLAIMS
from domain.signin.acr import PWD
from domain.signin.active_org import ActiveOrg
from tests.fakes.accounts import profile_schemas
from tests.fakes.claims import CLAIMS
from tests.fakes.federation import FakeCustomTokens, FakeIdentityVerifier
from tests.fakes.kernel import FakeClock
from tests.fakes.signin import FakeActiveOrgs, FakePrincipals, FakeTokenHook
from tests.support.linking import World
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

ADDED = {"tier": "gold", "plan": {"seats": 3}}
# What a hook might answer past its check: firegate's own names never take its values.
GREEDY = {**ADDED, "sub": "someone-else", "role": "admin", "sid": "x", "org": {"id": "o"}}
ACME = ActiveOrg(id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=3)
NOW = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)

FIREBASE_RESOURCE = firebase_resource("http://localhost")


def claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


@pytest.fixture
def hook() -> FakeTokenHook:
    return FakeTokenHook(GREEDY)


@pytest.fixture
def world(hook: FakeTokenHook) -> World:
    w = World()
    w.register("alice")
    w.token_hook = hook
    return w


def actor_of(world: World, token: str) -> Actor:
    authentication = Authentication(
        tokens=world.tokens, principals=FakePrincipals(world.store), clock=world.clock
    )
    return authentication.authenticate(Authenticate(token))


def test_a_sign_ins_access_token_carries_the_hooks_claims_under_firegates(
    world: World, hook: FakeTokenHook
) -> None:
    pair = world.login()
    found = claims(pair.access_token)
    alice = world.store.users[found["sub"]]
    assert found["tier"] == "gold" and found["plan"] == {"seats": 3}
    assert found["sub"] == alice.id and found["role"] == "user" and "org" not in found
    [asked] = hook.asked
    assert asked.token_kind == "access"
    assert asked.user["id"] == alice.id and asked.user["username"] == "alice"
    assert asked.session is not None and asked.session["id"] == found["sid"]
    assert asked.client is None and asked.org is None


def test_a_refresh_and_a_renewal_ask_again_as_refresh_access(
    world: World, hook: FakeTokenHook
) -> None:
    pair = world.login()
    hook.claims = {"tier": "silver"}
    again = world.session_cases().refresh(Refresh(pair.refresh_token))
    assert claims(again.access_token)["tier"] == "silver"
    renewed = world.session_cases().renew(Renew(actor_of(world, again.access_token)))
    assert claims(renewed.access_token)["tier"] == "silver"
    kinds = [asked.token_kind for asked in hook.asked]
    assert kinds == ["access", "refresh_access", "refresh_access"]
    assert hook.asked[2].session is not None and hook.asked[2].user["username"] == "alice"


def test_an_org_switch_asks_as_org_switch_with_the_org(world: World, hook: FakeTokenHook) -> None:
    pair = world.login()
    actor = actor_of(world, pair.access_token)
    world.store.active_orgs[(ACME.id, actor.user_id)] = ACME
    switching = OrgSwitching(
        orgs=FakeActiveOrgs(world.store),
        sessions=world.sessions,
        tokens=world.tokens,
        clock=world.clock,
        claims=CLAIMS,
        hook=hook,
    )
    switched = switching.switch(SwitchOrg(actor, "acme"))
    found = claims(switched.access_token)
    assert found["org"] == ACME.claim() and found["tier"] == "gold"
    assert hook.asked[-1].token_kind == "org_switch"
    assert hook.asked[-1].org == {"id": ACME.id, "slug": "acme", "roles": ["member"]}


def test_a_firebase_custom_token_takes_them_as_developer_claims(
    world: World, hook: FakeTokenHook
) -> None:
    minter = FakeCustomTokens()
    firebase = Firebase(
        verifier=FakeIdentityVerifier(),
        links=world.links,
        sign_in_step=world.step(),
        users=world.users,
        minter=minter,
        orgs=FakeActiveOrgs(world.store),
        agent_resource=FIREBASE_RESOURCE,
        claims=CLAIMS,
        hook=hook,
    )
    actor = actor_of(world, world.login().access_token)
    firebase.custom_token(CustomToken(actor))
    [(uid, developer)] = minter.minted
    assert developer == {**ADDED, "role": "user", "token_version": 0, "sign_in_acr": PWD}
    assert hook.asked[-1].token_kind == "firebase_custom" and hook.asked[-1].user["id"] == uid


POLICY = OAuthPolicy(issuer="https://id.example.com", access_token_ttl=timedelta(minutes=5))


def mint(hook: FakeTokenHook) -> TokenMint:
    return TokenMint(
        keys=provider_tokens(make_settings()),
        clock=FakeClock(NOW),
        policy=POLICY,
        metrics=NO_METRICS,
        schemas=profile_schemas(),
        claims=CLAIMS,
        hook=hook,
    )


ALICE = User.register(
    admitted=ALLOWED, id="u1", username=Username("alice"), email=None, password_hash="h", now=NOW
)


def test_the_providers_access_token_carries_them_and_names_them_for_userinfo(
    hook: FakeTokenHook,
) -> None:
    asked = MintAccessToken(client_id="app", scope="openid", user_id="u1", user=ALICE)
    found = claims(mint(hook).mint_access_token(asked).token)
    assert found["sub"] == "u1" and found["tier"] == "gold"
    assert found[HOOK_CLAIMS] == ["plan", "tier"]
    assert found["client_id"] == "app"
    [request] = hook.asked
    assert request.token_kind == "provider_access"
    assert request.client == {"client_id": "app"} and request.user["id"] == "u1"


def test_a_clients_own_token_asks_no_hook(hook: FakeTokenHook) -> None:
    own = mint(hook).mint_access_token(MintAccessToken(client_id="svc", scope="roles"))
    assert "tier" not in claims(own.token) and HOOK_CLAIMS not in claims(own.token)
    assert hook.asked == []


def test_an_id_token_carries_them_under_its_own(hook: FakeTokenHook) -> None:
    asked = MintIdToken(client_id="app", user=ALICE, scope="openid", access_token="at", nonce="n")
    found = claims(mint(hook).mint_id_token(asked))
    assert found["sub"] == "u1" and found["aud"] == "app" and found["nonce"] == "n"
    assert found["tier"] == "gold" and found["plan"] == {"seats": 3} and "sid" not in found
    assert hook.asked[-1].token_kind == "id_token"


def test_no_hook_builds_nothing_and_adds_nothing() -> None:
    assert hook_claims(NO_TOKEN_HOOK, "access", ALICE, reserved=CLAIMS.reserved) is NO_CLAIMS
    world = World()
    world.register("alice")
    found = claims(world.login().access_token)
    assert set(found) == {
        *("iss", "aud", "sub", "user_id", "role", "sid", "jti", "iat", "nbf", "exp", "amr"),
        "acr",  # the class the session's amr makes (docs/reference/acr.md)
    }


def test_a_browsers_sign_in_step_keeps_the_hook(world: World, hook: FakeTokenHook) -> None:
    # Upstream providers and single sign-on sign in through the device-aware step.
    assert with_devices(world.step(), world.devices, "", "203.0.113.9").hook is hook


# -- the reserved claims: the token frame's and the claim sources', every name firegate
# writes in any token of its own


def test_every_name_firegate_writes_in_a_token_is_reserved(world: World) -> None:
    """Each kind of token minted with everything it may carry: whatever firegate writes is
    a reserved claim, so a hook can set none of it."""
    hook = FakeTokenHook({})
    world.token_hook = hook
    written: set[str] = set()
    pair = world.login()
    written |= claims(pair.access_token).keys()
    actor = actor_of(world, pair.access_token)
    world.store.active_orgs[(ACME.id, actor.user_id)] = ACME
    switching = OrgSwitching(
        orgs=FakeActiveOrgs(world.store),
        sessions=world.sessions,
        tokens=world.tokens,
        clock=world.clock,
        claims=CLAIMS,
        hook=hook,
    )
    in_org = switching.switch(SwitchOrg(actor, "acme")).access_token
    written |= claims(in_org).keys()
    minter = FakeCustomTokens()
    firebase = Firebase(
        verifier=FakeIdentityVerifier(),
        links=world.links,
        sign_in_step=world.step(),
        users=world.users,
        minter=minter,
        orgs=FakeActiveOrgs(world.store),
        agent_resource=FIREBASE_RESOURCE,
        claims=CLAIMS,
        hook=hook,
    )
    firebase.custom_token(CustomToken(actor_of(world, in_org)))
    written |= minter.minted[-1][1].keys()
    everything = "openid profile email roles organization"
    person = replace(ALICE, email=Email("alice@example.com"), name="Alice", last_name="Liddell")
    access = MintAccessToken(
        client_id="app",
        scope=everything,
        user_id="u1",
        grant_id="g1",
        auth_time=NOW,
        amr=("pwd",),
        jkt="thumbprint",
        org=ACME,
        userinfo_claims=("email",),
        user=person,
    )
    minting = mint(FakeTokenHook(ADDED))
    written |= claims(minting.mint_access_token(access).token).keys() - ADDED.keys()
    own = MintAccessToken(client_id="svc", scope="roles", client_org_id=ACME.id)
    written |= claims(minting.mint_access_token(own).token).keys()
    id_token = MintIdToken(
        client_id="app",
        user=person,
        scope=everything,
        access_token="at",
        auth_time=NOW,
        amr=("pwd",),
        nonce="n",
        org=ACME,
        sid="s1",
    )
    written |= claims(minting.mint_id_token(id_token)).keys() - ADDED.keys()
    reserved = CLAIMS.reserved
    assert written - reserved == set()
    assert set(PROVIDER_CLAIMS) <= reserved  # the claims the discovery names
    for identity in ("email", "email_verified", "phone_number", "phone_number_verified"):
        assert identity in reserved


def test_a_hooks_reserved_claims_never_reach_a_token_whatever_hook_answers() -> None:
    identity = {"email": "boss@example.com", "email_verified": True, "phone_number": "+15550100"}
    minting = mint(FakeTokenHook({**ADDED, **identity}))
    asked = MintIdToken(client_id="app", user=ALICE, scope="openid", access_token="at")
    found = claims(minting.mint_id_token(asked))
    assert found["tier"] == "gold" and not identity.keys() & found.keys()
    access = MintAccessToken(client_id="app", scope="openid", user_id="u1", user=ALICE)
    found = claims(minting.mint_access_token(access).token)
    assert found[HOOK_CLAIMS] == ["plan", "tier"] and not identity.keys() & found.keys()
