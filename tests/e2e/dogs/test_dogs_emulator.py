"""Dogs over HTTP on the Firestore emulator, with the in-process job queue; an account's
deletion takes its dogs and their names' claims."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from google.cloud.firestore import FieldFilter

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from bootstrap import build_adapters
from domain.dogs import Dog, DogName
from domain.ids import new_id
from infrastructure.firestore.dogs.repository import DOG_NAMES, DOGS, FirestoreDogRepository
from tests.support.api import bearer, login, register
from tests.support.app import app_on
from tests.support.fake_dog_api import PICTURE, FakeDogApi, running
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api() -> Iterator[FakeDogApi]:
    with running() as server:
        yield server


@pytest.fixture
def app(firestore: Any, api: FakeDogApi) -> Flask:
    api.mode = "ok"
    settings = make_settings(
        dog_api_url=api.url,
        dog_api_timeout=0.5,
        job_backoff=0.05,
        job_backoff_max=0.1,
        job_max_attempts=3,
    )
    return app_on(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def users(client: FlaskClient) -> dict[str, dict[str, str]]:
    tokens = {}
    for name in ("alice", "bob", "root"):
        register(client, name)
        tokens[name] = bearer(login(client, name))
    return tokens


def count(firestore: Any, collection: str, **where: Any) -> int:
    query = firestore.collection(collection)
    for field, value in where.items():
        query = query.where(filter=FieldFilter(field, "==", value))
    return int(query.count().get()[0][0].value)


def settled(client: FlaskClient, name: str, timeout: float = 10) -> dict[str, Any]:
    """The dog once its picture job has finished (ready or failed)."""
    deadline = time.monotonic() + timeout
    while True:
        dog: dict[str, Any] = client.get(f"/dogs/{name}").get_json()
        if dog["picture_status"] != "pending" or time.monotonic() > deadline:
            return dog
        time.sleep(0.05)


def test_create_fetches_the_picture_in_the_background(
    client: FlaskClient, users: dict[str, dict[str, str]], api: FakeDogApi
) -> None:
    created = client.post("/dogs/Rex", json={"is_adopted": False}, headers=users["alice"])
    assert created.status_code == 202
    assert created.get_json()["picture_status"] == "pending"
    dog = settled(client, "rex")
    assert (dog["picture_status"], dog["picture"]) == ("ready", PICTURE)


def test_an_unreachable_or_hostile_api_ends_in_failed_never_500(
    client: FlaskClient, users: dict[str, dict[str, str]], api: FakeDogApi
) -> None:
    for mode, name in (("error", "Rex"), ("redirect:http://169.254.169.254/", "Max")):
        api.mode = mode
        api.requests.clear()
        assert client.post(f"/dogs/{name}", headers=users["alice"]).status_code == 202
        dog = settled(client, name)
        assert (dog["picture_status"], dog["picture"]) == ("failed", None)
        assert len(api.requests) == 3  # JOB_MAX_ATTEMPTS


def test_crud_by_name_filter_and_permissions(
    app: Flask, client: FlaskClient, users: dict[str, dict[str, str]]
) -> None:
    alice, bob, root = users["alice"], users["bob"], users["root"]
    app.extensions["firegate"].of(AccountServices).admin.set_role(SetRole("root", "admin"))
    for name, adopted in (("Rex", False), ("Max", True), ("Bella", False)):
        assert (
            client.post(f"/dogs/{name}", json={"is_adopted": adopted}, headers=alice).status_code
            == 202
        )
    assert client.post("/dogs/MAX", headers=bob).status_code == 409
    names = [d["name"] for d in client.get("/dogs").get_json()["items"]]
    assert names == ["Rex", "Max", "Bella"]
    adopted = client.get("/dogs/is_adopted").get_json()["items"]
    assert [d["name"] for d in adopted] == ["Max"]
    # 401 without a token, 403 for someone else, fine for the owner and an admin.
    assert client.put("/dogs/Rex", json={"is_adopted": True}).status_code == 401
    assert client.put("/dogs/Rex", json={"is_adopted": True}, headers=bob).status_code == 403
    assert client.delete("/dogs/Rex", headers=bob).status_code == 403
    assert client.put("/dogs/Rex", json={"is_adopted": True}, headers=alice).status_code == 200
    renamed = client.put("/dogs/rex", json={"name": "Rexy"}, headers=root)
    assert renamed.status_code == 200 and renamed.get_json()["id_user"] != ""
    assert client.get("/dogs/Rex").status_code == 404
    assert client.put("/dogs/Rexy", json={"name": "bella"}, headers=alice).status_code == 409
    adopted = client.get("/dogs/is_adopted").get_json()["items"]
    assert [d["name"] for d in adopted] == ["Rexy", "Max"]
    assert client.delete("/dogs/Rexy", headers=root).status_code == 204
    assert client.delete("/dogs/Max", headers=alice).status_code == 204
    assert client.post("/dogs/Max", headers=bob).status_code == 202  # the name is free again
    assert [d["name"] for d in client.get("/dogs").get_json()["items"]] == ["Bella", "Max"]
    assert client.get("/dogs/..").status_code in (404, 422)
    assert client.get("/dogs/" + "x" * 65).status_code == 422


def test_parallel_posts_of_one_name_make_one_dog(
    app: Flask, users: dict[str, dict[str, str]], firestore: Any
) -> None:
    def post(i: int) -> int:
        name = "Rex" if i % 2 else "rEX"
        response = app.test_client().post(f"/dogs/{name}", headers=users["alice"])
        return response.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(pool.map(post, range(12)))
    assert statuses == [202] + [409] * 11
    assert sum(1 for _ in firestore.collection("dogs").stream()) == 1
    assert sum(1 for _ in firestore.collection("dog_names").stream()) == 1


def test_deleting_a_user_deletes_their_dogs_and_name_claims_only(
    client: FlaskClient, users: dict[str, dict[str, str]], firestore: Any
) -> None:
    alice = client.get("/user", headers=users["alice"]).get_json()["id"]
    dogs = FirestoreDogRepository(firestore)
    now = datetime.now(UTC)
    for name, owner in (("Rex", alice), ("Max", alice), ("Bella", alice)):
        dogs.add(
            Dog.create(id=new_id(), name=DogName(name), owner_id=owner, is_adopted=False, now=now)
        )
    assert client.post("/dogs/Bobby", headers=users["bob"]).status_code == 202
    assert count(firestore, DOGS, id_user=alice) == 3
    assert client.delete("/user", headers=users["alice"]).status_code == 204
    assert count(firestore, DOGS) == count(firestore, DOG_NAMES) == 1  # bob's Bobby
    assert client.post("/dogs/Rex", headers=users["bob"]).status_code == 202  # free again
