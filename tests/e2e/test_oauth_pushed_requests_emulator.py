"""Pushed authorization requests (RFC 9126) through Flask's test client on the Firestore
emulator (docs/reference/oauth.md, "Pushed authorization requests"): the flow, and thirty
parallel arrivals of one ``request_uri``, by GET and by POST: one goes on, the rest are
refused; what is kept (nothing at the push, the request spent at the arrival)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from domain.provider.pushed import RESUME_TTL
from infrastructure.firestore.provider.oauth_pushed import OAUTH_PUSHED_REQUESTS
from tests.support.app import app_on
from tests.support.oauth import REDIRECT, SCOPE, EmulatorWorld, redirected
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
VERIFIER = "v" * 43


@pytest.fixture
def world(firestore: Any) -> EmulatorWorld:
    settings = make_settings()
    return EmulatorWorld(app_on(settings, build_adapters(settings, firestore=firestore)))


def request_uri(world: EmulatorWorld, client: dict[str, Any]) -> str:
    answer = world.client.post(
        "/oauth/par",
        data={
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": SCOPE,
            "state": "st4te",
            "code_challenge": create_s256_code_challenge(VERIFIER),
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    found: str = answer.get_json()["request_uri"]
    return found


def test_the_code_flow_through_a_pushed_request(world: EmulatorWorld) -> None:
    client = world.register("--confidential", "--require-par")
    arrival = world.client.get(
        "/oauth/authorize",
        query_string={"client_id": client["client_id"], "request_uri": request_uri(world, client)},
    )
    assert arrival.status_code == 303
    page = world.client.get(arrival.headers["Location"])
    answered = world.consent(page) if page.status_code == 200 else page
    tokens = world.exchange(client, redirected(answered)["code"], VERIFIER)
    assert tokens.status_code == 200, tokens.get_json()


def arrivals(method: str, query: dict[str, str]) -> list[Callable[[FlaskClient], TestResponse]]:
    if method == "GET":
        return [lambda client: client.get("/oauth/authorize", query_string=query)] * RACERS
    return [lambda client: client.post("/oauth/authorize", data=query)] * RACERS


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_thirty_parallel_arrivals_of_one_request_uri_one_goes_on(
    world: EmulatorWorld, method: str
) -> None:
    client = world.register("--confidential")
    query = {"client_id": client["client_id"], "request_uri": request_uri(world, client)}
    outcomes = race(world.app, arrivals(method, query))
    assert statuses(outcomes) == {303: 1, 400: RACERS - 1}


def test_the_push_keeps_nothing_and_the_arrival_keeps_the_request_spent(
    world: EmulatorWorld, firestore: Any
) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client)
    kept = firestore.collection(OAUTH_PUSHED_REQUESTS)
    assert list(kept.stream()) == []  # the request_uri carries the request, sealed
    query = {"client_id": client["client_id"], "request_uri": uri}
    assert world.client.get("/oauth/authorize", query_string=query).status_code == 303
    (spent,) = kept.stream()
    found = spent.to_dict()
    assert found["client_id"] == client["client_id"] and "st4te" in found["params"]
    assert len(found["ticket_hash"]) == 64
    assert found["expires_at"] - found["created_at"] == RESUME_TTL
    again = world.client.get("/oauth/authorize", query_string=query)
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
