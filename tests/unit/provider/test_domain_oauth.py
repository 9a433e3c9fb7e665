"""The provider's transitions and rules, pure: spending a code, rotating a refresh token
(docs/reference/oauth.md, "Codes" and "Refresh tokens")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.clients.oauth import DEVICE_CODE, TOKEN_EXCHANGE, OAuthClient, check_grants, digest
from domain.errors import InvalidInput
from domain.provider.grants import CODE_TTL, AuthorizationCode, Grant

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def a_code(**changes: object) -> AuthorizationCode:
    code = AuthorizationCode(
        hash=digest("the-code"),
        client_id="c1",
        user_id="u1",
        grant_id="g1",
        redirect_uri="https://app.example.com/cb",
        scope="openid offline_access",
        code_challenge="x",
        code_challenge_method="S256",
        created_at=NOW,
        auth_time=NOW,
        resource="https://api.example.com",
    )
    return replace(code, **changes)  # type: ignore[arg-type]


def an_issued_grant(**changes: object) -> Grant:
    grant = Grant.reserved_by(a_code(), NOW).issuing(digest("r1"), LATER)
    return replace(grant, **changes)  # type: ignore[arg-type]


def test_a_fresh_code_is_spent_and_reserves_its_grant() -> None:
    spending = a_code().spend("c1", NOW + CODE_TTL - timedelta(microseconds=1))
    assert spending.outcome == "spent" and spending.code.spent
    assert spending.revokes is None
    reserved = spending.reserved
    assert reserved is not None and reserved.id == "g1" and reserved.user_id == "u1"
    assert reserved.client_id == "c1" and reserved.scope == "openid offline_access"
    assert reserved.resource == "https://api.example.com" and reserved.created_at > NOW
    assert not reserved.issued and not reserved.revoked and reserved.refresh_hash is None


def test_a_spent_code_presented_again_revokes_its_grant() -> None:
    spending = a_code(spent=True).spend("c1", NOW)
    assert spending.outcome == "reused" and spending.revokes == "g1"
    assert spending.reserved is None


def test_a_code_of_another_client_or_an_expired_one_changes_nothing() -> None:
    for code, client_id, at in (
        (a_code(), "c2", NOW),
        (a_code(spent=True), "c2", NOW),  # another client's: not even a reuse
        (a_code(), "c1", NOW + CODE_TTL),
    ):
        spending = code.spend(client_id, at)
        assert spending.outcome == "invalid" and spending.code == code
        assert spending.reserved is None and spending.revokes is None


def test_the_current_refresh_token_rotates() -> None:
    rotation = an_issued_grant().rotated(digest("r1"), digest("r2"), LATER, NOW)
    assert rotation.outcome == "rotated"
    assert rotation.grant.refresh_valid(digest("r2"), NOW)
    assert not rotation.grant.refresh_valid(digest("r1"), NOW)
    assert not rotation.grant.revoked


def test_an_earlier_or_expired_refresh_token_is_a_reuse_that_revokes() -> None:
    for presented, at in ((digest("r0"), NOW), (digest("r1"), LATER)):
        rotation = an_issued_grant().rotated(presented, digest("r2"), LATER, at)
        assert rotation.outcome == "reused" and rotation.grant.revoked
        assert rotation.grant.refresh_hash == digest("r1")  # the chain itself is kept


def test_a_revoked_grant_or_one_never_issued_changes_nothing() -> None:
    for grant in (an_issued_grant(revoked=True), an_issued_grant(issued=False)):
        rotation = grant.rotated(digest("r1"), digest("r2"), LATER, NOW)
        assert rotation.outcome == "invalid" and rotation.grant == grant


def a_client(secret: str | None, grants: tuple[str, ...]) -> OAuthClient:
    return OAuthClient.new(
        client_id="c1",
        name="CLI",
        redirect_uris=("http://127.0.0.1/cb",),
        secret=secret,
        scopes=(),
        now=NOW,
        grants=grants,
    )


def test_a_client_opts_in_to_the_device_and_exchange_grants_by_name_or_uri() -> None:
    plain = a_client(None, ())
    assert plain.grants == () and not plain.allows_grant(DEVICE_CODE)
    device = a_client(None, ("device_code", DEVICE_CODE))
    assert device.grants == (DEVICE_CODE,) and device.allows_grant(DEVICE_CODE)
    assert not device.allows_grant(TOKEN_EXCHANGE)
    both = a_client("s", ("token_exchange", "device_code"))
    assert both.grant_types()[-2:] == (TOKEN_EXCHANGE, DEVICE_CODE)
    assert both.allows_grant("client_credentials")


def test_token_exchange_is_for_confidential_clients_and_unknown_grants_are_refused() -> None:
    with pytest.raises(InvalidInput, match="confidential"):
        a_client(None, ("token_exchange",))
    with pytest.raises(InvalidInput, match="Unknown grant: implicit"):
        a_client("s", ("implicit",))
    assert check_grants((), confidential=False) == ()
