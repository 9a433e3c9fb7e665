"""An ID-JAG's own rules (domain/agents/id_jag.py), against the draft's example claims
(draft-ietf-oauth-identity-assertion-authz-grant): its ``typ``, audience, client, times and
``jti``; each refusal says what was wrong (docs/reference/oauth.md, "ID-JAG")."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.agents.id_jag import (
    JAG_TYPE,
    MAX_JAG_LIFETIME,
    IdJag,
    JagRefused,
    check_claims,
    check_header,
)
from domain.clients.oauth import JWT_BEARER, check_grants
from domain.errors import InvalidInput
from tests.support.oauth import OAuthWorld

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
AS = "https://acme.chat.example/"
# The draft's example ID-JAG, its times moved to NOW
EXAMPLE: dict[str, Any] = {
    "jti": "9e43f81b64a33f20116179",
    "iss": "https://acme.idp.example",
    "sub": "U019488227",
    "aud": AS,
    "client_id": "f53f191f9311af35",
    "exp": int(NOW.timestamp()) + 300,
    "iat": int(NOW.timestamp()),
    "resource": "https://acme.chat.example/api",
    "scope": "chat.read chat.history",
}


def refused(**changes: Any) -> str:
    claims = {k: v for k, v in {**EXAMPLE, **changes}.items() if v is not None}
    with pytest.raises(JagRefused) as refusal:
        check_claims(claims, audience=AS, client_id=EXAMPLE["client_id"], now=NOW)
    return refusal.value.description


def test_the_drafts_example_is_read() -> None:
    found = check_claims(EXAMPLE, audience=AS, client_id="f53f191f9311af35", now=NOW)
    assert found.issuer == "https://acme.idp.example" and found.subject == "U019488227"
    assert found.resource == "https://acme.chat.example/api"
    assert found.scope == ("chat.read", "chat.history")
    assert found.expires_at == NOW + timedelta(seconds=300)
    assert check_claims({**EXAMPLE, "aud": [AS]}, audience=AS, client_id="f53f191f9311af35",
                        now=NOW).jti == EXAMPLE["jti"]  # fmt: skip


def test_its_header_is_the_drafts_typ_and_an_asymmetric_alg() -> None:
    check_header({"typ": JAG_TYPE, "alg": "RS256"})
    check_header({"typ": "OAUTH-ID-JAG+JWT", "alg": "ES256"})  # RFC 7515: case-insensitive
    for header in ({"typ": "JWT", "alg": "RS256"}, {"alg": "RS256"}, {"typ": "at+jwt"}):
        with pytest.raises(JagRefused, match="typ"):
            check_header(header)
    for alg in ("HS256", "none", None):
        with pytest.raises(JagRefused, match="signed with"):
            check_header({"typ": JAG_TYPE, "alg": alg})


def test_another_audience_or_client_is_refused() -> None:
    assert "another audience" in refused(aud="https://elsewhere.example/")
    assert "another audience" in refused(aud=[AS, "https://elsewhere.example/"])
    assert "another client" in refused(client_id="someone-else")


def test_its_times_hold() -> None:
    now = int(NOW.timestamp())
    assert "expired" in refused(exp=now - 31)
    assert "minutes ahead" in refused(exp=now + int(MAX_JAG_LIFETIME.total_seconds()) + 31)
    assert "future" in refused(iat=now + 31)
    assert "'exp'" in refused(exp="soon") and "'iat'" in refused(iat=True)


def test_each_claim_it_needs_is_there() -> None:
    for name in ("iss", "sub", "client_id", "jti", "resource"):
        assert f"'{name}'" in refused(**{name: None})
    assert "'jti'" in refused(jti="x" * 201)
    assert "scope" in refused(scope=["chat.read"])
    no_scope = {k: v for k, v in EXAMPLE.items() if k != "scope"}
    assert check_claims(no_scope, audience=AS, client_id=EXAMPLE["client_id"], now=NOW).scope == ()


def test_it_is_spent_by_its_issuer_and_jti_until_past_its_expiry() -> None:
    jag = check_claims(EXAMPLE, audience=AS, client_id=EXAMPLE["client_id"], now=NOW)
    spent = jag.spent(NOW)
    assert spent.expires_at == jag.expires_at + timedelta(seconds=30)
    other = IdJag(**{**jag.__dict__, "issuer": "https://other.idp.example"})
    assert other.spent(NOW).key != spent.key  # one issuer's jti is not another's
    assert jag.spent(NOW + timedelta(hours=1)).key == spent.key


def test_the_grant_is_a_confidential_clients_opt_in_and_discovery_lists_it() -> None:
    assert check_grants(("jwt_bearer",), confidential=True) == (JWT_BEARER,)
    with pytest.raises(InvalidInput, match="confidential clients only"):
        check_grants(("jwt_bearer",), confidential=False)
    world = OAuthWorld()
    metadata = world.client.get("/.well-known/oauth-authorization-server").get_json()
    assert JWT_BEARER in metadata["grant_types_supported"]
    # a client that did not opt in is told so
    plain = world.register("--confidential")
    answer = world.post_token(plain, grant_type=JWT_BEARER, assertion="a.b.c")
    assert answer.get_json()["error"] == "unauthorized_client"


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_no_malformed_assertion_or_actor_token_is_a_server_error() -> None:
    world = OAuthWorld()
    agent = world.register("--confidential", "--grant", "jwt_bearer", "--grant", "token_exchange")
    header = {"typ": JAG_TYPE, "alg": "ES256"}
    issuer = world.client.get("/.well-known/openid-configuration").get_json()["issuer"]
    shapes: list[str] = [
        "a.b.c",
        "x" * 20000,
        ".".join([_b64(["a"]), _b64({}), "sig"]),
        ".".join([_b64({**header, "kid": 7}), _b64({"iss": issuer}), "sig"]),
        ".".join([_b64(header), _b64({"iss": ["a"], "sub": 1}), "sig"]),
        ".".join([_b64(header), _b64({"iss": "https://idp.example"}), "c2ln"]),
        ".".join([_b64({**header, "alg": "none"}), _b64({"iss": issuer}), ""]),
        "é.é.é",
    ]
    for shape in shapes:
        answer = world.post_token(agent, grant_type=JWT_BEARER, assertion=shape)
        assert answer.status_code == 400, (shape[:40], answer.get_data(as_text=True))
        assert answer.get_json()["error"] in ("invalid_grant", "invalid_request")
        exchange = world.post_token(
            agent,
            grant_type="urn:ietf:params:oauth:grant-type:token-exchange",
            subject_token=shape,
            subject_token_type="urn:ietf:params:oauth:token-type:access_token",
            actor_token=shape,
            actor_token_type="urn:ietf:params:oauth:token-type:access_token",
            resource="https://api.example.com/",
        )
        assert exchange.status_code == 400, exchange.get_data(as_text=True)
