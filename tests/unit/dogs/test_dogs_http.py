"""Dogs over HTTP on in-memory fakes: names, ownership, adoption, picture jobs."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from application.jobs import JobPush, RetryJob, encode_job
from application.services import Services
from interfaces.http.routes.dogs.schemas import DOG_NAME_SCHEMA
from tests.fakes.kernel import FakeJobQueue
from tests.support.api import assert_problem, bearer, login, register
from tests.support.app import run_jobs
from tests.unit.dogs.fakes import FakePictureSource

pytestmark = pytest.mark.unit


@pytest.fixture
def alice(client: FlaskClient, job_queue: FakeJobQueue) -> dict[str, str]:
    register(client, "alice")
    job_queue.jobs.clear()  # the verification mail; these tests deliver the picture jobs
    return bearer(login(client, "alice"))


@pytest.fixture
def bob(client: FlaskClient) -> dict[str, str]:
    register(client, "bob")
    return bearer(login(client, "bob"))


def create(client: FlaskClient, auth: dict[str, str], name: str = "Rex", **body: Any) -> Any:
    return client.post(f"/dogs/{name}", json=body or None, headers=auth)


def test_create_is_202_pending_then_the_job_fills_the_picture(
    fake_app: Flask, client: FlaskClient, alice: dict[str, str], job_queue: FakeJobQueue
) -> None:
    response = create(client, alice, "Rex")
    assert response.status_code == 202
    dog = response.get_json()
    assert response.headers["Location"] == "/dogs/Rex"
    assert set(dog) == {
        "id",
        "name",
        "picture",
        "is_adopted",
        "id_user",
        "create_date",
        "picture_status",
    }
    me = client.get("/user", headers=alice).get_json()
    assert dog["id_user"] == me["id"] and dog["is_adopted"] is False
    assert (dog["picture"], dog["picture_status"]) == (None, "pending")
    assert len(job_queue.jobs) == 1
    run_jobs(fake_app, job_queue)
    shown = client.get("/dogs/rex").get_json()  # names are case-insensitive
    assert shown["picture"] == "https://images.dog.ceo/breeds/hound/1.jpg"
    assert shown["picture_status"] == "ready"


def test_body_is_optional_and_strict(client: FlaskClient, alice: dict[str, str]) -> None:
    assert client.post("/dogs/Rex", headers=alice).get_json()["is_adopted"] is False
    adopted = client.post("/dogs/Max", json={"is_adopted": True}, headers=alice)
    assert adopted.get_json()["is_adopted"] is True
    for body in ({"id_user": "x"}, {"picture": "https://x"}, {"is_adopted": "yes"}):
        response = client.post("/dogs/Bella", json=body, headers=alice)
        assert_problem(response, 422, "validation_failed")
    assert_problem(client.get("/dogs/Bella"), 404, "dog_not_found")


def test_a_failing_picture_source_retries_then_fails_never_500(
    fake_app: Flask,
    client: FlaskClient,
    alice: dict[str, str],
    job_queue: FakeJobQueue,
    pictures: FakePictureSource,
) -> None:
    pictures.failing = True
    create(client, alice, "Rex")
    job = job_queue.jobs[0]
    data = base64.b64encode(encode_job(job)).decode()
    # No push token is configured in fake_app: every push is refused.
    push = client.post("/internal/jobs?token=", json={"message": {"data": data}})
    assert_problem(push, 401, "invalid_push_credentials")
    services: Services = fake_app.extensions["firegate"]
    with pytest.raises(RetryJob):  # answered 503 job_retry: the queue will deliver it again
        services.platform.jobs.receive_push(JobPush(data=data, delivery_attempt=1))
    assert client.get("/dogs/Rex").get_json()["picture_status"] == "pending"
    services.platform.jobs.receive_push(JobPush(data=data, delivery_attempt=5))  # JOB_MAX_ATTEMPTS
    failed = client.get("/dogs/Rex").get_json()
    assert (failed["picture"], failed["picture_status"]) == (None, "failed")
    pictures.failing = False
    services.platform.jobs.receive_push(
        JobPush(data=data, dead_letter=True)
    )  # a late duplicate: no change
    assert client.get("/dogs/Rex").get_json()["picture_status"] == "failed"
    assert pictures.calls == 2


def test_a_broken_queue_still_creates_the_dog_marked_failed(
    client: FlaskClient, alice: dict[str, str], job_queue: FakeJobQueue
) -> None:
    job_queue.broken = True
    response = create(client, alice, "Rex")
    assert response.status_code == 202
    assert response.get_json()["picture_status"] == "failed"
    assert client.get("/dogs/Rex").get_json()["picture_status"] == "failed"


def test_names_are_unique_case_insensitively(client: FlaskClient, alice: dict[str, str]) -> None:
    assert create(client, alice, "Rex").status_code == 202
    for name in ("Rex", "REX", "rex", "ＲＥＸ"):
        problem = assert_problem(create(client, alice, name), 409, "dog_name_taken")
        assert problem["errors"][0]["field"] == "name"
    assert len(client.get("/dogs").get_json()["items"]) == 1


@pytest.mark.parametrize(
    "name",
    [
        "x" * 65,
        "..",
        ".",
        "-rex",
        "rex%20",
        "re%09x",  # a tab
        "rex%00",
        "r<x>",
        "is_adopted",
        "IS_ADOPTED",
    ],
)
def test_invalid_names_are_422_on_every_route(
    client: FlaskClient, alice: dict[str, str], name: str
) -> None:
    for method, auth in (("get", {}), ("post", alice), ("put", alice), ("delete", alice)):
        body = {"is_adopted": True} if method == "put" else None
        response = getattr(client, method)(f"/dogs/{name}", json=body, headers=auth)
        if name == "is_adopted":  # that is the list of adopted dogs, which has GET only
            if method == "get":
                assert response.status_code == 200
            else:
                assert_problem(response, 405, "method_not_allowed")
                assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
            continue
        assert_problem(response, 422, "invalid_dog_name")


def test_options_on_the_adopted_list_offer_what_the_document_does(client: FlaskClient) -> None:
    # Regression (schemathesis allow_header_conformance): /dogs/<name> matched is_adopted
    # too, so OPTIONS /dogs/is_adopted advertised POST, PUT and DELETE.
    response = client.options("/dogs/is_adopted")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    document = client.get("/openapi.json").get_json()
    assert set(document["paths"]["/dogs/is_adopted"]) == {"get"}
    assert document["paths"]["/dogs/{name}"]["put"]["parameters"][0]["schema"] == DOG_NAME_SCHEMA


def test_names_with_spaces_and_letters_of_any_script(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    assert create(client, alice, "Mr. Big").status_code == 202
    assert client.get("/dogs/mr.%20big").get_json()["name"] == "Mr. Big"
    assert create(client, alice, "Łajka").status_code == 202
    assert create(client, alice, "x" * 64).status_code == 202


def test_adoption_filter_and_pages(client: FlaskClient, alice: dict[str, str]) -> None:
    for i in range(5):
        create(client, alice, f"dog{i}", is_adopted=i % 2 == 1)
    names = [d["name"] for d in client.get("/dogs").get_json()["items"]]
    assert names == [f"dog{i}" for i in range(5)]
    adopted = client.get("/dogs/is_adopted").get_json()
    assert [d["name"] for d in adopted["items"]] == ["dog1", "dog3"]
    seen: list[str] = []
    cursor = ""
    while True:
        page = client.get(f"/dogs?limit=2{cursor}").get_json()
        seen += [d["name"] for d in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == names
    assert_problem(client.get("/dogs?cursor=bad"), 422, "invalid_cursor")
    assert_problem(client.get("/dogs/is_adopted?limit=0"), 422, "validation_failed")


def test_owner_updates_and_renames(client: FlaskClient, alice: dict[str, str]) -> None:
    dog = create(client, alice, "Rex").get_json()
    adopted = client.put("/dogs/rex", json={"is_adopted": True}, headers=alice)
    assert adopted.status_code == 200 and adopted.get_json()["is_adopted"] is True
    renamed = client.put("/dogs/Rex", json={"name": "Rexy"}, headers=alice).get_json()
    assert renamed["name"] == "Rexy" and renamed["id"] == dog["id"]
    assert renamed["is_adopted"] is True
    assert_problem(client.get("/dogs/Rex"), 404, "dog_not_found")
    assert create(client, alice, "Rex").status_code == 202  # the old name is free
    assert_problem(
        client.put("/dogs/Rexy", json={"name": "REX"}, headers=alice), 409, "dog_name_taken"
    )
    recased = client.put("/dogs/rexy", json={"name": "REXY"}, headers=alice)
    assert recased.get_json()["name"] == "REXY"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing"),
        ({"name": None}, "null_not_allowed"),
        ({"is_adopted": None}, "null_not_allowed"),
        ({"id_user": "x"}, "unknown_field"),
        ({"name": "bad/name"}, "invalid_dog_name"),
        ({"name": "is_adopted"}, "invalid_dog_name"),
    ],
)
def test_invalid_updates_are_422(
    client: FlaskClient, alice: dict[str, str], body: dict[str, Any], code: str
) -> None:
    create(client, alice, "Rex")
    response = client.put("/dogs/Rex", json=body, headers=alice)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["code"] == code


def test_only_owner_or_admin_change_or_delete(
    client: FlaskClient, alice: dict[str, str], bob: dict[str, str], fake_app: Flask
) -> None:
    create(client, alice, "Rex")
    assert_problem(client.put("/dogs/Rex", json={"is_adopted": True}), 401, "missing_token")
    assert_problem(client.delete("/dogs/Rex"), 401, "missing_token")
    assert_problem(client.post("/dogs/Max"), 401, "missing_token")
    put = client.put("/dogs/Rex", json={"is_adopted": True}, headers=bob)
    assert_problem(put, 403, "not_dog_owner")
    assert_problem(client.delete("/dogs/Rex", headers=bob), 403, "not_dog_owner")
    assert client.get("/dogs/Rex").get_json()["is_adopted"] is False
    services: Services = fake_app.extensions["firegate"]
    services.of(AccountServices).admin.set_role(SetRole("bob", "admin"))
    assert client.put("/dogs/Rex", json={"is_adopted": True}, headers=bob).status_code == 200
    assert client.delete("/dogs/Rex", headers=bob).status_code == 204
    assert_problem(client.get("/dogs/Rex"), 404, "dog_not_found")
    assert_problem(client.delete("/dogs/Rex", headers=alice), 404, "dog_not_found")


def test_deleting_the_account_deletes_its_dogs(
    client: FlaskClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    create(client, alice, "Rex")
    create(client, bob, "Max")
    assert client.delete("/user", headers=alice).status_code == 204
    assert [d["name"] for d in client.get("/dogs").get_json()["items"]] == ["Max"]
    assert create(client, bob, "Rex").status_code == 202  # the name was released
