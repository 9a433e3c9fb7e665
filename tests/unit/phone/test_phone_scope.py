"""The ``phone`` scope (OpenID Connect Core §5.4): ``phone_number`` and
``phone_number_verified`` in the ID token and at userinfo for an account with a number, left
out (never null) for one without; in the discovery document; only for a client allowed it
(docs/reference/oauth.md, "Scopes and claims"; docs/reference/phone.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from application.provider.claims import claims_of
from domain.accounts.credentials import Username
from domain.accounts.identities import PhoneNumber
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.clients.oauth import SCOPES
from domain.signin.claims.sources import Minting
from tests.support.oauth import OAuthWorld, claims
from tests.unit.phone.fakes import CLAIMS

NOW = datetime(2026, 11, 1, tzinfo=UTC)
NUMBER = "+33612345678"

pytestmark = pytest.mark.unit


def account(phone_number: str | None = None) -> User:
    user = User.register(
        admitted=ALLOWED,
        id="u1",
        username=Username("alice"),
        email=None,
        password_hash=None,
        now=NOW,
    )
    return user.with_part(PhoneNumber.proven_as(phone_number)) if phone_number else user


def id_claims(user: User, scope: str, also: tuple[str, ...] = ()) -> dict[str, object]:
    """The person's claims in an ID token: the scopes' and the claim sources' (phone's)."""
    minting = Minting(kind="id_token", user=user, scopes=tuple(scope.split()), asked=also)
    return {**claims_of(user, scope, also=also), **CLAIMS.claims(minting)}


def test_the_phone_scope_releases_the_number_and_whether_it_is_proven() -> None:
    proven = id_claims(account(NUMBER), "openid phone")
    assert proven == {"sub": "u1", "phone_number": NUMBER, "phone_number_verified": True}
    unproven = account().with_part(PhoneNumber(NUMBER, verified=False))
    assert id_claims(unproven, "openid phone")["phone_number_verified"] is False
    # Without the scope, nothing of the number
    assert "phone_number" not in id_claims(account(NUMBER), "openid profile email")


def test_an_account_without_a_number_gets_neither_claim_not_even_null() -> None:
    found = id_claims(account(), "openid phone")
    assert found == {"sub": "u1"}
    # A claims request naming them, within the scope, adds nothing either
    also = id_claims(account(), "openid phone", also=("phone_number", "phone_number_verified"))
    assert also == {"sub": "u1"}


def test_a_claims_request_moves_the_number_into_the_id_token() -> None:
    found = id_claims(account(NUMBER), "openid", also=("phone_number",))
    assert found == {"sub": "u1", "phone_number": NUMBER}


def test_discovery_names_the_scope_and_its_claims() -> None:
    world = OAuthWorld()
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert "phone" in found["scopes_supported"] and "phone" in SCOPES
    assert {"phone_number", "phone_number_verified"} <= set(found["claims_supported"])


def with_number(world: OAuthWorld, number: str) -> User:
    (user,) = world.store.users.values()
    proven = user.with_part(PhoneNumber.proven_as(number), NOW)
    world.store.users[user.id] = proven
    world.store.phone_numbers[number] = user.id
    return proven


def userinfo(world: OAuthWorld, tokens: dict[str, Any]) -> dict[str, Any]:
    answer = world.client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def test_userinfo_and_the_id_token_carry_the_number_the_scope_allows() -> None:
    world = OAuthWorld()
    app = world.register()
    user = with_number(world, NUMBER)
    tokens = world.tokens(app, scope="openid phone")
    id_token = claims(world, tokens["id_token"])
    for found in (id_token, userinfo(world, tokens)):
        assert found["sub"] == user.id
        assert (found["phone_number"], found["phone_number_verified"]) == (NUMBER, True)
        assert "email" not in found and "preferred_username" not in found
    tokens = world.tokens(app, scope="openid email")
    assert "phone_number" not in userinfo(world, tokens)
    assert "phone_number" not in claims(world, tokens["id_token"])


def test_an_account_without_a_number_gets_no_phone_claim_at_userinfo() -> None:
    world = OAuthWorld()
    app = world.register()
    tokens = world.tokens(app, scope="openid phone")
    for found in (claims(world, tokens["id_token"]), userinfo(world, tokens)):
        assert "phone_number" not in found and "phone_number_verified" not in found


def test_a_client_not_allowed_the_scope_gets_no_number() -> None:
    world = OAuthWorld()
    app = world.register("--scope", "openid", "--scope", "email")
    with_number(world, NUMBER)
    tokens = world.tokens(app, scope="openid phone")
    assert tokens["scope"] == "openid"
    assert "phone_number" not in userinfo(world, tokens)
    # Nor through a claims request, which never widens the scopes
    asked = json.dumps({"userinfo": {"phone_number": None}, "id_token": {"phone_number": None}})
    tokens = world.tokens(app, scope="openid", claims=asked)
    assert "phone_number" not in userinfo(world, tokens)
    assert "phone_number" not in claims(world, tokens["id_token"])


def test_the_consent_page_says_what_the_scope_shows_in_english_and_spanish() -> None:
    world = OAuthWorld()
    app = world.register()
    pkce = {"code_challenge": "a" * 43, "code_challenge_method": "S256", "scope": "openid phone"}
    page = world.authorize(app["client_id"], **pkce)
    assert page.status_code == 200
    assert "See your phone number" in page.get_data(as_text=True)
    page = world.authorize(app["client_id"], ui_locales="es", **pkce)
    assert "Ver tu número de teléfono" in page.get_data(as_text=True)
