"""``private_key_jwt`` client authentication (RFC 7523) on the fakes (docs/reference/oauth.md,
"Client authentication with a signed assertion"): clients with ``jwks`` or ``jwks_uri``, an
assertion at the token endpoint, ``/oauth/par``, introspection and revocation, and each
refusal (reused ``jti``, wrong ``aud``, expired, too long, unknown ``kid``, HS256, none)."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from application.clients.client_keys import (
    AssertionKeys,
    ClientKeys,
    KeptKeys,
    KeysUnavailable,
)
from application.clients.services import ClientServices
from bootstrap.clients import ClientsAdapters
from domain.clients.oauth import OAuthClient
from domain.provider.assertions import ASSERTION_TYPE
from tests.fakes.kernel import FakeHostResolver
from tests.fakes.sso import FakeDocumentGetter
from tests.support.api import bearer, login, register
from tests.support.oauth import REDIRECT, SCOPE, OAuthWorld, browsing_member

pytestmark = pytest.mark.unit
ISSUER = "http://127.0.0.1:8000"
TOKEN_URL = f"{ISSUER}/oauth/token"
KEYS_URL = "https://app.example.com/jwks.json"


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


def public_jwks(*keys: RSAKey | ECKey) -> str:
    return json.dumps({"keys": [k.as_dict(private=False) for k in keys]})


def keyed(world: OAuthWorld, key: RSAKey | ECKey, *args: str) -> dict[str, Any]:
    client = world.register("--confidential", "--jwks", public_jwks(key), *args)
    assert "client_secret" not in client
    return client


def assertion(
    client_id: str,
    key: RSAKey | ECKey | OctKey,
    alg: str = "RS256",
    **claims: Any,
) -> str:
    now = int(time.time())
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
        **claims,
    }
    header = {"alg": alg, **({"kid": key.kid} if key.kid else {})}
    return jwt.encode(
        header, {k: v for k, v in body.items() if v is not None}, key, algorithms=[alg]
    )


def signed(
    client_id: str, key: RSAKey | ECKey | OctKey, alg: str = "RS256", **claims: Any
) -> dict[str, str]:
    return {
        "client_id": client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(client_id, key, alg, **claims),
    }


def exchange(world: OAuthWorld, client: dict[str, Any], form: dict[str, str]) -> Any:
    code, verifier = world.code(client["client_id"])
    return world.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": REDIRECT,
            **form,
        },
    )


def test_a_client_with_keys_exchanges_a_code_with_an_assertion(
    world: OAuthWorld, key: RSAKey
) -> None:
    client = keyed(world, key)
    assert client["token_endpoint_auth_method"] == "private_key_jwt"
    answer = exchange(world, client, signed(client["client_id"], key))
    assert answer.status_code == 200, answer.get_json()
    assert "id_token" in answer.get_json()


def test_the_issuer_as_audience_and_es256_and_ps256_are_taken(world: OAuthWorld) -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "e1"})
    client = keyed(world, ec)
    assert (
        exchange(world, client, signed(client["client_id"], ec, "ES256", aud=ISSUER)).status_code
        == 200
    )
    rsa = RSAKey.generate_key(2048, parameters={"kid": "p1"})
    other = keyed(world, rsa)
    assert exchange(world, other, signed(other["client_id"], rsa, "PS256")).status_code == 200


def test_keys_at_a_jwks_uri_are_fetched_once_then_kept_briefly(
    world: OAuthWorld, key: RSAKey
) -> None:
    getter = world.adapters.of(ClientsAdapters).keys_getter
    assert isinstance(getter, FakeDocumentGetter)
    getter.documents[KEYS_URL] = public_jwks(key)
    client = world.register("--confidential", "--jwks-uri", KEYS_URL)
    assert client["jwks_uri"] == KEYS_URL and "client_secret" not in client
    for _ in range(2):
        assert exchange(world, client, signed(client["client_id"], key)).status_code == 200
    assert getter.asked == [(KEYS_URL, None)]  # the local profile: no address check


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def uri_client() -> OAuthClient:
    return OAuthClient.new(
        client_id="c1",
        name="A",
        redirect_uris=(REDIRECT,),
        secret=None,
        scopes=(),
        now=datetime.now(UTC),
        jwks_uri=KEYS_URL,
    )


def test_a_kid_not_kept_has_the_jwks_uri_fetched_again_once_in_a_while(key: RSAKey) -> None:
    """A client that adds a key is not refused for a minute: an assertion naming a ``kid``
    the kept set lacks fetches it again, if it is 10 s old (no more often, whatever the
    assertions name); a known ``kid``, or none, waits for the minute."""
    getter = FakeDocumentGetter({KEYS_URL: public_jwks(key)})
    clock = Clock()
    keys = AssertionKeys(
        getter=getter, resolver=FakeHostResolver({}), local=True, kept=KeptKeys(monotonic=clock)
    )
    client = uri_client()

    def kids(kid: str | None) -> list[str]:
        found = keys.client_keys(ClientKeys(client, kid))
        return [k["kid"] for k in found["keys"]]

    assert kids("k1") == ["k1"] and len(getter.asked) == 1
    new = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    getter.documents[KEYS_URL] = public_jwks(key, new)
    clock.now += 9
    assert kids("k2") == ["k1"] and len(getter.asked) == 1  # not 10 s old yet
    clock.now += 1
    assert kids("k1") == ["k1"] and kids(None) == ["k1"]  # nothing new named: kept
    assert len(getter.asked) == 1
    assert kids("k2") == ["k1", "k2"] and len(getter.asked) == 2
    assert kids("nope") == ["k1", "k2"] and kids("nope") == ["k1", "k2"]
    assert len(getter.asked) == 2  # fetched 0 s ago: an unknown kid waits 10 s
    clock.now += 10
    assert kids("nope") == ["k1", "k2"] and len(getter.asked) == 3
    clock.now += 60
    assert kids(None) == ["k1", "k2"] and len(getter.asked) == 4  # the minute passed


def test_an_assertion_with_a_new_key_is_taken_before_the_minute(
    world: OAuthWorld, key: RSAKey
) -> None:
    """Through the token endpoint: the assertion's header names the key it was signed with."""
    getter = world.adapters.of(ClientsAdapters).keys_getter
    assert isinstance(getter, FakeDocumentGetter)
    getter.documents[KEYS_URL] = public_jwks(key)
    clock = Clock()
    keys = world.services.of(ClientServices).keys
    keys.kept._monotonic = clock  # this world's process keeps keys on its clock
    client = world.register("--confidential", "--jwks-uri", KEYS_URL)
    assert exchange(world, client, signed(client["client_id"], key)).status_code == 200
    new = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    getter.documents[KEYS_URL] = public_jwks(key, new)
    clock.now += 10
    answer = exchange(world, client, signed(client["client_id"], new))
    assert answer.status_code == 200, answer.get_json()
    assert len(getter.asked) == 2


def test_a_jwks_uri_is_fetched_only_from_a_public_address_pinned(key: RSAKey) -> None:
    getter = FakeDocumentGetter({KEYS_URL: public_jwks(key)})
    resolver = FakeHostResolver({"app.example.com": ["10.0.0.7"]})
    client = uri_client()

    def client_keys() -> dict[str, Any]:
        keys = AssertionKeys(getter=getter, resolver=resolver, local=False, kept=KeptKeys())
        return keys.client_keys(ClientKeys(client))

    with pytest.raises(KeysUnavailable, match="public address"):
        client_keys()
    resolver.names["app.example.com"] = ["93.184.216.34"]
    found = client_keys()
    assert found["keys"][0]["kid"] == "k1"
    assert getter.asked == [(KEYS_URL, "93.184.216.34")]  # connected to the address checked
    getter.documents[KEYS_URL] = "x" * (64 * 1024 + 1)
    with pytest.raises(KeysUnavailable, match=r"larger than 64 KB \(too_large\)"):
        client_keys()
    getter.documents[KEYS_URL] = json.dumps({"keys": [key.as_dict(private=True)]})
    with pytest.raises(KeysUnavailable, match="no JWK Set"):
        client_keys()
    del getter.documents[KEYS_URL]
    with pytest.raises(KeysUnavailable, match=r"connection was refused \(connection_refused\)"):
        client_keys()


def test_an_assertion_is_taken_at_par_introspection_and_revocation(
    world: OAuthWorld, key: RSAKey
) -> None:
    client = keyed(world, key)
    cid = client["client_id"]
    pushed = world.client.post(
        "/oauth/par",
        data={
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": SCOPE,
            "code_challenge": "a" * 43,
            "code_challenge_method": "S256",
            **signed(cid, key, aud=f"{ISSUER}/oauth/par"),
        },
    )
    assert pushed.status_code == 201, pushed.get_json()
    tokens = exchange(world, client, signed(cid, key)).get_json()
    looked = world.client.post(
        "/oauth/introspect",
        data={"token": tokens["access_token"], **signed(cid, key, aud=ISSUER)},
    )
    assert looked.status_code == 200 and looked.get_json()["active"] is True
    revoked = world.client.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"], **signed(cid, key, aud=f"{ISSUER}/oauth/revoke")},
    )
    assert revoked.status_code == 200
    again = world.client.post(
        "/oauth/introspect",
        data={"token": tokens["access_token"], **signed(cid, key, aud=ISSUER)},
    )
    assert again.get_json() == {"active": False}


def test_discovery_lists_private_key_jwt_and_its_algorithms(world: OAuthWorld) -> None:
    found = world.client.get("/.well-known/openid-configuration").get_json()
    for endpoint in ("token", "revocation", "introspection"):
        assert "private_key_jwt" in found[f"{endpoint}_endpoint_auth_methods_supported"]
        algorithms = found[f"{endpoint}_endpoint_auth_signing_alg_values_supported"]
        assert algorithms == ["RS256", "ES256", "PS256"]


# -- refusals: each an invalid_client, and the code stays unspent


def refused(world: OAuthWorld, client: dict[str, Any], form: dict[str, str]) -> str:
    answer = exchange(world, client, form)
    assert answer.status_code == 401, answer.get_json()
    assert answer.get_json()["error"] == "invalid_client"
    description: str = answer.get_json()["error_description"]
    return description


def test_an_assertion_is_accepted_once(world: OAuthWorld, key: RSAKey) -> None:
    client = keyed(world, key)
    form = signed(client["client_id"], key)
    assert exchange(world, client, form).status_code == 200
    assert "used before" in refused(world, client, form)


def test_an_assertion_for_another_audience_is_refused(world: OAuthWorld, key: RSAKey) -> None:
    client = keyed(world, key)
    for aud in ("https://elsewhere.example.com", f"{ISSUER}/oauth/introspect"):
        refused(world, client, signed(client["client_id"], key, aud=aud))


def test_an_expired_assertion_is_refused(world: OAuthWorld, key: RSAKey) -> None:
    client = keyed(world, key)
    past = int(time.time()) - 120
    refused(world, client, signed(client["client_id"], key, iat=past - 60, exp=past))


def test_an_assertion_without_exp_or_living_long_is_refused(world: OAuthWorld, key: RSAKey) -> None:
    client = keyed(world, key)
    assert "no exp" in refused(world, client, signed(client["client_id"], key, exp=None))
    later = int(time.time()) + 3600
    assert "minutes ahead" in refused(world, client, signed(client["client_id"], key, exp=later))


def test_an_assertion_signed_with_an_unknown_key_is_refused(world: OAuthWorld, key: RSAKey) -> None:
    client = keyed(world, key)
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    refused(world, client, signed(client["client_id"], stranger))
    same_kid = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    refused(world, client, signed(client["client_id"], same_kid))


def test_hs256_and_none_are_refused(world: OAuthWorld, key: RSAKey) -> None:
    client = keyed(world, key)
    cid = client["client_id"]
    secret = OctKey.import_key(secrets.token_bytes(32))
    form = signed(cid, secret, "HS256")
    assert "RS256, ES256, PS256" in refused(world, client, form)
    now = int(time.time())
    claims = {"iss": cid, "sub": cid, "aud": TOKEN_URL, "exp": now + 60, "jti": "x"}
    unsigned = (
        ".".join(
            base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
            for part in ({"alg": "none"}, claims)
        )
        + "."
    )
    form["client_assertion"] = unsigned
    refused(world, client, form)


def test_iss_and_sub_must_be_the_client(world: OAuthWorld, key: RSAKey) -> None:
    client = keyed(world, key)
    other = keyed(world, key)
    refused(world, client, signed(client["client_id"], key, iss=other["client_id"]))
    form = signed(other["client_id"], key)
    form["client_id"] = client["client_id"]
    refused(world, client, form)


def test_a_secret_client_cannot_use_an_assertion_nor_a_keyed_one_a_secret(
    world: OAuthWorld, key: RSAKey
) -> None:
    with_secret = world.register("--confidential")
    refused(world, with_secret, signed(with_secret["client_id"], key))
    client = keyed(world, key)
    refused(world, client, {"client_id": client["client_id"], "client_secret": "anything"})
    refused(world, client, {"client_id": client["client_id"]})  # no proof at all


@pytest.mark.parametrize(
    ("jwks", "says"),
    [
        ("not json", "not JSON"),
        (json.dumps({"keys": []}), "1 to 10 keys"),
        (json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}), "RSA or EC public key"),
        ("private", "private key"),
    ],
)
def test_keys_that_are_not_a_set_of_public_keys_are_refused(
    world: OAuthWorld, key: RSAKey, jwks: str, says: str
) -> None:
    if jwks == "private":
        jwks = json.dumps({"keys": [key.as_dict(private=True)]})
    result = world.app.test_cli_runner().invoke(
        args=["clients", "create", "--name", "A", "--redirect-uri", REDIRECT, "--jwks", jwks]
    )
    assert result.exit_code != 0
    assert says in result.output


def test_a_jwks_uri_must_be_https(world: OAuthWorld) -> None:
    result = world.app.test_cli_runner().invoke(
        args=[
            "clients",
            "create",
            "--name",
            "A",
            "--redirect-uri",
            REDIRECT,
            "--jwks-uri",
            "http://app.example.com/jwks.json",
        ]
    )
    assert result.exit_code != 0 and "https" in result.output


def test_an_orgs_admin_registers_a_client_with_keys(world: OAuthWorld, key: RSAKey) -> None:
    register(world.client, "olga")
    auth = bearer(login(world.client, "olga"))
    made_org = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=auth)
    browsing_member(world, made_org.get_json()["id"])
    made = world.client.post(
        "/orgs/acme/clients",
        json={
            "name": "Acme app",
            "redirect_uris": [REDIRECT],
            "confidential": True,
            "jwks": json.loads(public_jwks(key)),
        },
        headers=auth,
    )
    assert made.status_code == 201, made.get_json()
    found = made.get_json()
    assert found["token_endpoint_auth_method"] == "private_key_jwt"
    assert found["client_secret"] is None
    assert exchange(world, found, signed(found["client_id"], key)).status_code == 200
