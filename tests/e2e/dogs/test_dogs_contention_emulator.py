"""30-way races for dogs on the Firestore emulator (as tests/e2e/test_contention_emulator.py
races for the accounts' names): one winner of a name, the rest 409 ``dog_name_taken``; one
deletion of a dog, the rest 404; and name claims that match the dogs afterwards
(docs/decisions/0060 and 0061: no read-write transaction, so no 503 from racers aborting
each other)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bootstrap import build_adapters
from infrastructure.firestore.client import claim_id
from tests.fakes.kernel import FakeJobQueue
from tests.support.api import PASSWORD, bearer
from tests.support.app import app_on, swap
from tests.support.races import RACERS, Call, race, statuses, summary
from tests.support.settings import make_settings
from tests.support.stored_documents import count

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(firestore: Any) -> Flask:
    settings = make_settings()
    # Picture jobs stay queued: no background writer joins the dog races.
    adapters = swap(build_adapters(settings, firestore=firestore), job_queue=FakeJobQueue().attach)
    return app_on(settings, adapters)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign_up(client: FlaskClient, username: str) -> dict[str, str]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    assert client.post("/register", json=body).status_code == 201
    response = client.post("/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return bearer(response.get_json()["access_token"])


def assert_dog_claims_match_dogs(firestore: Any) -> None:
    dogs = {s.id: s.get("name_key") for s in firestore.collection("dogs").stream()}
    claims = {s.id: s.get("dog_id") for s in firestore.collection("dog_names").stream()}
    assert claims == {claim_id(key): dog_id for dog_id, key in dogs.items()}


def test_thirty_dogs_of_one_name(app: Flask, client: FlaskClient, firestore: Any) -> None:
    auth = sign_up(client, "alice")

    outcomes = race(app, [lambda c: c.post("/dogs/Rex", headers=auth)] * RACERS)

    assert statuses(outcomes) == {202: 1, 409: RACERS - 1}, summary(outcomes)
    assert {o.code for o in outcomes if o.status == 409} == {"dog_name_taken"}
    assert count(firestore, "dogs") == 1
    assert_dog_claims_match_dogs(firestore)


def test_thirty_dog_renames_to_one_free_name(
    app: Flask, client: FlaskClient, firestore: Any
) -> None:
    auth = sign_up(client, "alice")
    for i in range(RACERS):
        assert client.post(f"/dogs/dog{i:02d}", headers=auth).status_code == 202

    def rename(i: int) -> Call:
        return lambda c: c.put(f"/dogs/dog{i:02d}", json={"name": "Prize"}, headers=auth)

    outcomes = race(app, [rename(i) for i in range(RACERS)])

    assert statuses(outcomes) == {200: 1, 409: RACERS - 1}, summary(outcomes)
    assert {o.code for o in outcomes if o.status == 409} == {"dog_name_taken"}
    assert count(firestore, "dogs") == RACERS
    assert_dog_claims_match_dogs(firestore)


def test_thirty_deletes_of_one_dog(app: Flask, client: FlaskClient, firestore: Any) -> None:
    auth = sign_up(client, "alice")
    assert client.post("/dogs/Rex", headers=auth).status_code == 202

    outcomes = race(app, [lambda c: c.delete("/dogs/Rex", headers=auth)] * RACERS)

    assert statuses(outcomes) == {204: 1, 404: RACERS - 1}, summary(outcomes)
    assert count(firestore, "dogs") == count(firestore, "dog_names") == 0
