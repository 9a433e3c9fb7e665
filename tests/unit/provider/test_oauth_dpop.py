"""DPoP (RFC 9449) at the provider, through Flask's test client on the fakes: bound tokens
from the token endpoint, bound refresh tokens for public clients, the proof at userinfo, the
server's nonces, clients that require DPoP, and each refusal (docs/reference/oauth.md,
"DPoP")."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.dpop import ISSUER, TOKEN_URL, DpopKey, claims_of
from tests.support.oauth import OAuthWorld, redirected

pytestmark = pytest.mark.unit
USERINFO_URL = f"{ISSUER}/oauth/userinfo"


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def bound_tokens(world: OAuthWorld, client: dict[str, Any], key: DpopKey) -> dict[str, Any]:
    code, verifier = world.code(client["client_id"])
    world.client.environ_base["HTTP_DPOP"] = key.proof()
    try:
        answer = world.exchange(client, code, verifier)
    finally:
        del world.client.environ_base["HTTP_DPOP"]
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def token(world: OAuthWorld, client: dict[str, Any], proof: str | None = None, **form: str) -> Any:
    body = {"client_id": client["client_id"], **form}
    if "client_secret" in client:
        body["client_secret"] = client["client_secret"]
    headers = {"DPoP": proof} if proof is not None else {}
    return world.client.post("/oauth/token", data=body, headers=headers)


def code_form(code: str, verifier: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": "https://app.example.com/callback",
    }


def refresh(
    world: OAuthWorld, client: dict[str, Any], tokens: dict[str, Any], proof: str | None
) -> Any:
    return token(
        world, client, proof, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )


def test_a_proof_at_the_token_endpoint_binds_the_access_token(world: OAuthWorld) -> None:
    app = world.register()  # public: its refresh tokens are bound to its key
    key = DpopKey()
    tokens = bound_tokens(world, app, key)
    assert tokens["token_type"] == "DPoP"
    assert claims_of(tokens["access_token"])["cnf"] == {"jkt": key.jkt}
    plain = world.tokens(app)
    assert plain["token_type"] == "Bearer" and "cnf" not in claims_of(plain["access_token"])


def test_a_public_clients_refresh_token_is_bound_to_its_key(world: OAuthWorld) -> None:
    app = world.register()  # public: its refresh tokens are bound to its key
    key = DpopKey()
    tokens = bound_tokens(world, app, key)
    for proof in (None, DpopKey().proof()):  # no proof, another key's proof
        answer = refresh(world, app, tokens, proof)
        assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    answer = refresh(world, app, tokens, key.proof())
    assert answer.status_code == 200, answer.get_json()
    rotated = answer.get_json()
    assert rotated["token_type"] == "DPoP"
    assert claims_of(rotated["access_token"])["cnf"] == {"jkt": key.jkt}
    again = refresh(world, app, rotated, None)  # the successor is bound too
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    assert refresh(world, app, rotated, key.proof()).status_code == 200


def test_a_confidential_clients_refresh_token_is_not_bound(world: OAuthWorld) -> None:
    service = world.register("--confidential", name="Web app")
    tokens = bound_tokens(world, service, DpopKey())
    answer = refresh(world, service, tokens, None)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["token_type"] == "Bearer"


def test_a_client_credentials_token_is_bound_too(world: OAuthWorld) -> None:
    service = world.register("--confidential", "--scope", "roles", name="A service")
    key = DpopKey()
    answer = token(world, service, key.proof(), grant_type="client_credentials")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["token_type"] == "DPoP"
    assert claims_of(answer.get_json()["access_token"])["cnf"] == {"jkt": key.jkt}


def refused_proof(answer: Any, error: str = "invalid_dpop_proof") -> None:
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"] == error and answer.get_json()["error_description"]


def test_a_replayed_proof_is_refused(world: OAuthWorld) -> None:
    service = world.register("--confidential", "--scope", "roles", name="A service")
    proof = DpopKey().proof()
    assert token(world, service, proof, grant_type="client_credentials").status_code == 200
    refused_proof(token(world, service, proof, grant_type="client_credentials"))


def test_a_replayed_proof_does_not_rotate_a_refresh_token(world: OAuthWorld) -> None:
    app = world.register()  # public: its refresh tokens are bound to its key
    key = DpopKey()
    tokens = bound_tokens(world, app, key)
    proof = key.proof()
    rotated = refresh(world, app, tokens, proof).get_json()
    refused_proof(refresh(world, app, rotated, proof))
    assert refresh(world, app, rotated, key.proof()).status_code == 200  # still current


def spliced(proof: str, other: str) -> str:
    return proof.rpartition(".")[0] + "." + other.rpartition(".")[2]


@pytest.mark.parametrize(
    "proof",
    [
        lambda key: key.proof(f"{ISSUER}/oauth/revoke"),  # another URL
        lambda key: key.proof(method="GET"),  # another method
        lambda key: key.proof(iat=int(time.time()) - 120),  # made two minutes ago
        lambda key: key.proof(iat=int(time.time()) + 120),  # made in the future
        lambda key: "not a proof",
        lambda key: spliced(key.proof(), key.proof()),  # another proof's signature
    ],
)
def test_a_proof_not_for_this_request_is_refused_and_spends_no_code(
    world: OAuthWorld, proof: Any
) -> None:
    app = world.register()  # public: its refresh tokens are bound to its key
    key = DpopKey()
    code, verifier = world.code(app["client_id"])
    refused_proof(token(world, app, proof(key), **code_form(code, verifier)))
    # the client fixes its proof: the code was not spent
    answer = token(world, app, key.proof(), **code_form(code, verifier))
    assert answer.status_code == 200, answer.get_json()


def test_two_proofs_in_one_request_are_refused(world: OAuthWorld) -> None:
    service = world.register("--confidential", "--scope", "roles", name="A service")
    key = DpopKey()
    answer = world.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": service["client_id"],
            "client_secret": service["client_secret"],
        },
        headers=[("DPoP", key.proof()), ("DPoP", key.proof())],
    )
    refused_proof(answer)


def test_a_client_that_requires_dpop_needs_a_proof_with_the_servers_nonce(
    world: OAuthWorld,
) -> None:
    service = world.register("--confidential", "--dpop-required", "--scope", "roles", name="S")
    assert service["dpop_bound_access_tokens"] is True
    refused_proof(token(world, service, grant_type="client_credentials"))
    key = DpopKey()
    asked = token(world, service, key.proof(), grant_type="client_credentials")
    refused_proof(asked, "use_dpop_nonce")
    nonce = asked.headers["DPoP-Nonce"]
    answer = token(world, service, key.proof(nonce=nonce), grant_type="client_credentials")
    assert answer.status_code == 200, answer.get_json()
    forged = token(world, service, key.proof(nonce=nonce + "x"), grant_type="client_credentials")
    refused_proof(forged, "use_dpop_nonce")


def test_nonces_are_required_of_every_client_when_the_setting_says_so() -> None:
    world = OAuthWorld(oauth_dpop_nonce=True)
    app = world.register()
    key = DpopKey()
    code, verifier = world.code(app["client_id"])
    form = code_form(code, verifier)
    asked = token(world, app, key.proof(), **form)
    refused_proof(asked, "use_dpop_nonce")
    answer = token(world, app, key.proof(nonce=asked.headers["DPoP-Nonce"]), **form)
    assert answer.status_code == 200, answer.get_json()
    assert token(world, app, None, **form).get_json()["error"] == "invalid_grant"  # spent


def dpop(access_token: str) -> dict[str, str]:
    return {"Authorization": f"DPoP {access_token}"}


def test_userinfo_takes_a_bound_token_with_a_proof_of_its_key(world: OAuthWorld) -> None:
    app = world.register()  # public: its refresh tokens are bound to its key
    key = DpopKey()
    access = bound_tokens(world, app, key)["access_token"]
    proof = key.proof(USERINFO_URL, "GET", access_token=access)
    answer = world.client.get("/oauth/userinfo", headers={**dpop(access), "DPoP": proof})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["sub"]
    post = key.proof(USERINFO_URL, "POST", access_token=access)
    assert (
        world.client.post("/oauth/userinfo", headers={**dpop(access), "DPoP": post}).status_code
        == 200
    )


def dpop_refusal(answer: Any, error: str) -> None:
    assert answer.status_code == 401, answer.get_json()
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith(f'DPoP error="{error}"'), challenge
    assert 'algs="ES256 ' in challenge


def test_userinfo_refuses_a_bound_token_without_its_proof(world: OAuthWorld) -> None:
    app = world.register()  # public: its refresh tokens are bound to its key
    key = DpopKey()
    access = bound_tokens(world, app, key)["access_token"]
    as_bearer = {"Authorization": f"Bearer {access}"}
    dpop_refusal(world.client.get("/oauth/userinfo", headers=as_bearer), "invalid_token")
    dpop_refusal(world.client.get("/oauth/userinfo", headers=dpop(access)), "invalid_token")
    other = DpopKey().proof(USERINFO_URL, "GET", access_token=access)
    answer = world.client.get("/oauth/userinfo", headers={**dpop(access), "DPoP": other})
    dpop_refusal(answer, "invalid_token")
    for wrong in (
        key.proof(USERINFO_URL, "GET"),  # no ath
        key.proof(USERINFO_URL, "GET", access_token=access + "x"),  # another token's ath
        key.proof(TOKEN_URL, "GET", access_token=access),  # another URL
        key.proof(USERINFO_URL, "POST", access_token=access),  # another method
    ):
        answer = world.client.get("/oauth/userinfo", headers={**dpop(access), "DPoP": wrong})
        dpop_refusal(answer, "invalid_dpop_proof")
    proof = key.proof(USERINFO_URL, "GET", access_token=access)
    assert (
        world.client.get("/oauth/userinfo", headers={**dpop(access), "DPoP": proof}).status_code
        == 200
    )
    replayed = world.client.get("/oauth/userinfo", headers={**dpop(access), "DPoP": proof})
    dpop_refusal(replayed, "invalid_dpop_proof")


def test_userinfo_refuses_an_unbound_token_sent_as_dpop(world: OAuthWorld) -> None:
    app = world.register()  # public: its refresh tokens are bound to its key
    access = world.tokens(app)["access_token"]
    proof = DpopKey().proof(USERINFO_URL, "GET", access_token=access)
    answer = world.client.get("/oauth/userinfo", headers={**dpop(access), "DPoP": proof})
    dpop_refusal(answer, "invalid_token")
    bearer = {"Authorization": f"Bearer {access}"}
    assert world.client.get("/oauth/userinfo", headers=bearer).status_code == 200


def test_userinfo_asks_a_nonce_of_a_client_that_requires_dpop(world: OAuthWorld) -> None:
    app = world.register("--dpop-required")
    key = DpopKey()
    code, verifier = world.code(app["client_id"])
    form = code_form(code, verifier)
    nonce = token(world, app, key.proof(), **form).headers["DPoP-Nonce"]
    access = token(world, app, key.proof(nonce=nonce), **form).get_json()["access_token"]
    proof = key.proof(USERINFO_URL, "GET", access_token=access)
    asked = world.client.get("/oauth/userinfo", headers={**dpop(access), "DPoP": proof})
    dpop_refusal(asked, "use_dpop_nonce")
    fresh = asked.headers["DPoP-Nonce"]
    proof = key.proof(USERINFO_URL, "GET", access_token=access, nonce=fresh)
    assert (
        world.client.get("/oauth/userinfo", headers={**dpop(access), "DPoP": proof}).status_code
        == 200
    )


def test_introspection_names_a_bound_tokens_key(world: OAuthWorld) -> None:
    service = world.register("--confidential", name="Web app")
    key = DpopKey()
    tokens = bound_tokens(world, service, key)
    auth = {"client_id": service["client_id"], "client_secret": service["client_secret"]}
    found = world.client.post(
        "/oauth/introspect", data={"token": tokens["access_token"], **auth}
    ).get_json()
    assert found["active"] is True and found["cnf"] == {"jkt": key.jkt}


def test_the_metadata_names_the_proof_algorithms(world: OAuthWorld) -> None:
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert found["dpop_signing_alg_values_supported"] == [
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
        "RS256",
        "PS256",
    ]


def test_a_code_asked_for_one_key_is_exchanged_with_that_key_only(world: OAuthWorld) -> None:
    app = world.register()  # public: its refresh tokens are bound to its key
    key = DpopKey()
    code, verifier = world.code(app["client_id"], dpop_jkt=key.jkt)
    form = code_form(code, verifier)
    answer = token(world, app, DpopKey().proof(), **form)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    other_code, other_verifier = world.code(app["client_id"], dpop_jkt=key.jkt)
    form |= {"code": other_code, "code_verifier": other_verifier}
    assert token(world, app, None, **form).get_json()["error"] == "invalid_grant"
    third, third_verifier = world.code(app["client_id"], dpop_jkt=key.jkt)
    form |= {"code": third, "code_verifier": third_verifier}
    assert token(world, app, key.proof(), **form).status_code == 200


def test_a_client_registers_itself_as_requiring_dpop() -> None:
    world = OAuthWorld(oauth_dynamic_registration=True)
    body = {
        "redirect_uris": ["https://app.example.com/callback"],
        "client_name": "A CLI",
        "token_endpoint_auth_method": "none",
        "dpop_bound_access_tokens": True,
    }
    answer = world.client.post("/oauth/register", json=body)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["dpop_bound_access_tokens"] is True
    client = {"client_id": answer.get_json()["client_id"]}
    code, verifier = world.code(client["client_id"])
    refused = world.exchange(client, code, verifier)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_dpop_proof"
    wrong = world.client.post("/oauth/register", json={**body, "dpop_bound_access_tokens": "yes"})
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_client_metadata"


def test_firegates_own_api_takes_no_bound_token_with_its_proof_or_without(
    world: OAuthWorld,
) -> None:
    key = DpopKey()
    app = world.register()
    access = bound_tokens(world, app, key)["access_token"]
    proof = key.proof(f"{ISSUER}/user", "GET", access_token=access)
    for headers in (dpop(access) | {"DPoP": proof}, {"Authorization": f"Bearer {access}"}):
        assert world.client.get("/user", headers=headers).status_code == 401


def test_a_dpop_jkt_that_is_no_thumbprint_goes_back_to_the_app(world: OAuthWorld) -> None:
    app = world.register()
    challenge = {"code_challenge": "a" * 43, "code_challenge_method": "S256"}
    for bad in ("", "short", "x" * 44, "a" * 42 + "+", "é" * 43):
        query = redirected(world.authorize(app["client_id"], dpop_jkt=bad, **challenge))
        assert query["error"] == "invalid_request" and "dpop_jkt" in query["error_description"]
        assert "code" not in query
