"""The provider's one mint (application/provider/minting.py): every token it issues takes its
times from the ``Clock`` port, so the tests' fake clock governs them, and each token answer is
counted once by its grant type (docs/decisions/0345-one-place-mints-the-providers-tokens.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from authlib.oidc.core.util import create_half_hash

from application.ports import NO_METRICS, Clock
from application.provider.minting import (
    JTI_CHARACTERS,
    JTI_LENGTH,
    NO_KEYS,
    MintAccessToken,
    MintExchangedToken,
    MintIdToken,
    TokenMint,
    new_jti,
)
from application.provider.ports import OAuthPolicy, ProviderTokens
from bootstrap.provider_keys import provider_tokens
from domain.accounts.credentials import Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.clients.oauth import DEVICE_CODE
from domain.provider.token_exchange import GRANT_TYPE
from tests.fakes.accounts import FakeProfileSchemaStore, profile_schemas
from tests.fakes.claims import CLAIMS
from tests.fakes.kernel import FakeClock
from tests.support.dpop import DpopKey
from tests.support.metrics import TOKEN as METRICS_TOKEN
from tests.support.metrics import scrape
from tests.support.oauth import OAuthWorld, claims, device_client, enter, poll, start
from tests.support.settings import make_settings
from tests.support.token_exchange import API, exchange, exchanger

pytestmark = pytest.mark.unit

NOW = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
SIGNED_IN = NOW - timedelta(minutes=3)
POLICY = OAuthPolicy(issuer="https://id.example.com", access_token_ttl=timedelta(minutes=5))
KEYS = provider_tokens(make_settings())


def keys() -> ProviderTokens:
    assert KEYS is not None
    return KEYS


def mint(
    clock: Clock | None = None, *, signed: bool = True, schema: dict[str, Any] | None = None
) -> TokenMint:
    """The mint of the tests' keys (none unless ``signed``: the provider off) and
    ``POLICY``, at ``NOW`` unless ``clock`` says otherwise, under the profile ``schema``
    admins stored (None: none)."""
    store = FakeProfileSchemaStore()
    if schema is not None:
        store.put(schema)
    return TokenMint(
        keys=keys() if signed else None,
        clock=clock or FakeClock(NOW),
        policy=POLICY,
        metrics=NO_METRICS,
        schemas=profile_schemas(store),
        claims=CLAIMS,
    )


def payload(token: str) -> dict[str, Any]:
    """The claims as signed, read without checking their times against the wall clock."""
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


def test_an_access_token_is_issued_now_by_the_clock_for_the_policys_lifetime() -> None:
    asked = MintAccessToken(
        client_id="app",
        scope="openid email",
        user_id="u1",
        grant_id="g1",
        resource=API,
        auth_time=SIGNED_IN,
        amr=("pwd", "otp"),
        jkt="k" * 43,
    )
    minted = mint().mint_access_token(asked)
    found = payload(minted.token)
    assert minted.expires_in == 300
    assert found == {
        "iss": "https://id.example.com",
        "exp": int(NOW.timestamp()) + 300,
        "client_id": "app",
        "iat": int(NOW.timestamp()),
        "jti": found["jti"],
        "scope": "openid email",
        "sub": "u1",
        "aud": API,
        "auth_time": int(SIGNED_IN.timestamp()),
        "amr": ["pwd", "otp"],
        "acr": "urn:firegate:acr:mfa",  # the class the methods make (docs/reference/acr.md)
        "grant_id": "g1",
        "cnf": {"jkt": "k" * 43},
    }
    assert jwt.get_unverified_header(minted.token)["typ"] == "at+jwt"
    own = mint().mint_access_token(MintAccessToken(client_id="svc", scope="roles"))
    assert {k: v for k, v in payload(own.token).items() if k in ("sub", "aud")} == {
        "sub": "svc",  # a client's own token: about no person, for the client
        "aud": "svc",
    }
    assert not {"auth_time", "amr", "acr", "grant_id", "cnf"} & payload(own.token).keys()


def test_an_id_token_carries_the_clocks_time_the_at_hash_and_the_scopes_claims() -> None:
    user = User.register(
        admitted=ALLOWED,
        id="u1",
        username=Username("alice"),
        email=None,
        password_hash="h",
        now=SIGNED_IN,
    )
    asked = MintIdToken(
        client_id="app",
        user=user,
        scope="openid profile",
        access_token="the.access.token",
        auth_time=SIGNED_IN,
        amr=("pwd",),
        nonce="n-0S6",
    )
    token = mint().mint_id_token(asked)
    at_hash = create_half_hash("the.access.token", keys().id_token_alg)  # Authlib's, as RPs
    assert at_hash is not None
    assert payload(token) == {
        "iss": "https://id.example.com",
        "aud": "app",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
        "auth_time": int(SIGNED_IN.timestamp()),
        "nonce": "n-0S6",
        "amr": ["pwd"],
        "acr": "urn:firegate:acr:pwd",
        "at_hash": at_hash.decode(),
        "sub": "u1",
        "preferred_username": "alice",
        "updated_at": int(SIGNED_IN.timestamp()),
    }
    assert jwt.get_unverified_header(token) | {"kid": "k"} == {
        "alg": "RS256",
        "typ": "JWT",
        "kid": "k",
    }


def test_an_id_token_carries_the_attributes_its_scope_releases() -> None:
    schema = {
        "type": "object",
        "properties": {
            "department": {"type": "string", "x-scope": "profile"},
            "badge": {"type": "integer", "x-scope": "email"},
            "nickname": {"type": "string"},
        },
    }
    user = User.register(
        admitted=ALLOWED,
        id="u1",
        username=Username("alice"),
        email=None,
        password_hash="h",
        now=SIGNED_IN,
    )
    user = replace(user, attributes={"department": "Sales", "badge": 7, "nickname": "Al"})
    asked = MintIdToken(client_id="app", user=user, scope="openid profile", access_token="t")
    found = payload(mint(schema=schema).mint_id_token(asked))
    assert (found["department"], found["preferred_username"]) == ("Sales", "alice")
    assert "badge" not in found
    assert "nickname" not in found
    unreleased = payload(mint().mint_id_token(asked))  # no schema: nothing is released
    assert "department" not in unreleased


def test_an_exchanged_token_is_issued_by_the_clock_and_never_outlives_its_subject() -> None:
    now = int(NOW.timestamp())
    subject = {"sub": "u1", "grant_id": "g1", "exp": now + 120, "auth_time": now - 60}
    asked = MintExchangedToken(
        client_id="svc", subject=subject, target=API, scope=("email",), jkt="k" * 43
    )
    minted = mint().mint_exchanged_token(asked)
    assert minted is not None and minted.expires_in == 120
    found = payload(minted.token)
    assert found["iat"] == now and found["exp"] == now + 120
    assert found["act"] == {"sub": "svc"} and found["grant_id"] == "g1"
    assert found["auth_time"] == now - 60 and found["cnf"] == {"jkt": "k" * 43}
    late = FakeClock(NOW + timedelta(seconds=120))  # the subject's last second has passed
    assert mint(late).mint_exchanged_token(asked) is None


def test_an_exchanged_token_keeps_the_subjects_org_with_the_organization_scope() -> None:
    now = int(NOW.timestamp())
    org = {"org_id": "o1", "org_slug": "acme", "org_roles": ["member"], "org_permissions": ["x"]}
    subject = {"sub": "u1", "grant_id": "g1", "exp": now + 120, **org}
    kept = MintExchangedToken(client_id="svc", subject=subject, target=API, scope=("organization",))
    minted = mint().mint_exchanged_token(kept)
    assert minted is not None and org.items() <= payload(minted.token).items()
    left = MintExchangedToken(client_id="svc", subject=subject, target=API, scope=("email",))
    dropped = mint().mint_exchanged_token(left)
    assert dropped is not None and not org.keys() & payload(dropped.token).keys()


def test_without_the_providers_keys_nothing_is_minted() -> None:
    with pytest.raises(LookupError, match="no signing keys") as refused:
        mint(signed=False).mint_access_token(MintAccessToken(client_id="svc", scope=""))
    assert str(refused.value) == NO_KEYS


def minted_at(world: OAuthWorld, *tokens: str) -> set[tuple[int, int]]:
    """Each token's (iat, exp - iat)."""
    found = [claims(world, token) for token in tokens]
    return {(c["iat"], c["exp"] - c["iat"]) for c in found}


def test_the_fake_clock_governs_every_token_of_every_grant() -> None:
    """The tests' clock, moved ahead of the wall clock, is the time each token is issued at."""
    world = OAuthWorld()
    app = world.register()
    service = exchanger(world, "--grant", "token_exchange", "--grant", "device_code")
    person = world.tokens(service, resource=API)  # minted now: a subject verified as live
    code, verifier = world.code(app["client_id"])
    tv = device_client(world)
    started = start(world, tv)
    assert enter(world, started["user_code"], decision="allow").status_code == 200

    world.clock.advance(seconds=90)
    now = int(world.clock.now().timestamp())
    tokens = world.exchange(app, code, verifier).get_json()
    assert minted_at(world, tokens["access_token"], tokens["id_token"]) == {(now, 600)}
    refreshed = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).get_json()
    own = world.post_token(service, grant_type="client_credentials").get_json()
    device = poll(world, tv, started["device_code"]).get_json()
    issued = [refreshed["access_token"], own["access_token"]]
    issued += [device["access_token"], device["id_token"]]
    assert minted_at(world, *issued) == {(now, 600)}
    exchanged = exchange(world, service, person["access_token"]).get_json()
    subject = claims(world, person["access_token"])
    assert exchanged["expires_in"] == subject["exp"] - now  # the subject's end, by the clock
    assert minted_at(world, exchanged["access_token"]) == {(now, subject["exp"] - now)}


def test_each_grant_types_answer_is_counted_once_and_a_refusal_not_at_all() -> None:
    world = OAuthWorld(metrics_token=METRICS_TOKEN)
    app = world.register()
    tokens = world.tokens(app)
    first = world.post_token(app, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert first.status_code == 200
    reused = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert reused.status_code == 400
    service = exchanger(world, "--grant", "token_exchange")
    key = DpopKey()
    proof = key.proof()
    own = {"grant_type": "client_credentials", "client_id": service["client_id"]}
    own["client_secret"] = service["client_secret"]
    assert world.client.post("/oauth/token", data=own, headers={"DPoP": proof}).status_code == 200
    replayed = world.client.post("/oauth/token", data=own, headers={"DPoP": proof})
    assert replayed.get_json()["error"] == "invalid_dpop_proof"  # minted, then not given
    person = world.tokens(service, resource=API)
    assert exchange(world, service, person["access_token"]).status_code == 200
    tv = device_client(world)
    started = start(world, tv)
    assert poll(world, tv, started["device_code"]).status_code == 400  # pending: nothing
    assert enter(world, started["user_code"], decision="allow").status_code == 200
    world.clock.advance(seconds=6)  # past the interval
    assert poll(world, tv, started["device_code"]).status_code == 200
    assert poll(world, tv, started["device_code"]).status_code == 400  # given once
    seen = scrape(world.client)
    issued = {
        name: value for name, value in seen.items() if name.startswith("firegate_tokens_issued")
    }
    assert issued == {
        'firegate_tokens_issued_total{grant="authorization_code"}': 2,  # two apps' codes
        'firegate_tokens_issued_total{grant="refresh_token"}': 1,
        'firegate_tokens_issued_total{grant="client_credentials"}': 1,
        f'firegate_tokens_issued_total{{grant="{DEVICE_CODE}"}}': 1,
        f'firegate_tokens_issued_total{{grant="{GRANT_TYPE}"}}': 1,
    }


def test_a_jti_is_sixteen_letters_or_digits_each_equally_likely() -> None:
    drawn = [new_jti() for _ in range(4000)]
    assert len(set(drawn)) == len(drawn)
    assert all(len(jti) == JTI_LENGTH and set(jti) <= set(JTI_CHARACTERS) for jti in drawn)
    # 64,000 characters over 62: each about 1,032 times (a character missing, or seen half
    # or twice as often, would be a broken draw)
    counts = Counter("".join(drawn))
    assert set(counts) == set(JTI_CHARACTERS)
    assert all(500 < n < 2000 for n in counts.values())
    # every position draws from the whole alphabet (not one fixed, or a narrower set)
    assert all(len({jti[i] for jti in drawn}) == len(JTI_CHARACTERS) for i in range(JTI_LENGTH))
