"""Token exchange as its tests drive it: a confidential client with two resources, and one
exchange at the token endpoint."""

from __future__ import annotations

from typing import Any

from domain.provider.token_exchange import ACCESS_TOKEN, GRANT_TYPE
from tests.support.oauth import OAuthWorld

API = "https://api.example.com/"
BILLING = "https://billing.example.com/"


def exchanger(world: OAuthWorld, *extra: str) -> dict[str, Any]:
    return world.register(
        "--confidential", "--resource", API, "--resource", BILLING, *extra, name="Orders API"
    )


def exchange(world: OAuthWorld, client: dict[str, Any], token: str, **params: str) -> Any:
    body = {
        "grant_type": GRANT_TYPE,
        "subject_token": token,
        "subject_token_type": ACCESS_TOKEN,
        "resource": BILLING,
        **params,
    }
    return world.post_token(client, **{k: v for k, v in body.items() if v})
