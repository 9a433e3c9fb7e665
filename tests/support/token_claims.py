"""The claims of each kind of token as the tests read them: each token's own claims, and the
calls that get a session's, a refresh's, a renewal's, a custom token's, userinfo's and
introspection's (tests/unit/test_token_claims.py, and the units' claims in tokens)."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.support.api import bearer
from tests.support.oauth import OAuthWorld
from tests.support.pages import PASSWORD

CUSTOM = "/auth/firebase/custom-token"
# A session's access token's own claims, whoever it is for
SESSION = {"iss", "aud", "sub", "user_id", "role", "sid", "jti", "iat", "nbf", "exp"}
# The provider's access token's own claims, for a person (a code's, a refresh's)
PROVIDER = {"iss", "exp", "client_id", "iat", "jti", "scope", "sub", "aud", "auth_time"}
PROVIDER |= {"amr", "acr", "grant_id"}
# The provider's ID token's own claims, for a person
ID_TOKEN = {"iss", "aud", "iat", "exp", "auth_time", "amr", "acr", "at_hash", "jti", "sub", "sid"}
INTROSPECTION = {"active", "token_type", "client_id", "scope", "sub", "iss", "aud", "exp"}
INTROSPECTION |= {"iat", "jti", "auth_time", "acr"}


def payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return found


def alice(world: OAuthWorld) -> str:
    return next(u.id for u in world.store.users.values() if u.shown_name == "alice")


def introspect(world: OAuthWorld, token: str) -> dict[str, Any]:
    server = world.register("--confidential", name="Resource server")
    basic = base64.b64encode(f"{server['client_id']}:{server['client_secret']}".encode())
    found: dict[str, Any] = (
        world.app.test_client()
        .post(
            "/oauth/introspect",
            data={"token": token},
            headers={"Authorization": "Basic " + basic.decode()},
        )
        .get_json()
    )
    return found


def userinfo(world: OAuthWorld, token: str) -> dict[str, Any]:
    answer = world.app.test_client().get("/oauth/userinfo", headers=bearer(token))
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def custom(world: OAuthWorld, token: str) -> dict[str, Any]:
    answer = world.app.test_client().post(CUSTOM, headers=bearer(token))
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = payload(answer.get_json()["custom_token"])["claims"]
    return found


def session_pair(world: OAuthWorld, username: str = "alice") -> dict[str, Any]:
    api = world.app.test_client()
    answer = api.post("/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def refreshed(world: OAuthWorld, refresh_token: str) -> dict[str, Any]:
    answer = world.app.test_client().post("/auth/refresh", json={"refresh_token": refresh_token})
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def renewed(world: OAuthWorld, access_token: str) -> dict[str, Any]:
    answer = world.app.test_client().post("/auth/renew", headers=bearer(access_token))
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found
