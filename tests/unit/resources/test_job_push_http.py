"""POST /internal/jobs as Pub/Sub calls it, on fakes: token, ack (204), retry (503)."""

from __future__ import annotations

import base64

import pytest
from flask.testing import FlaskClient

from application.jobs import encode_job
from infrastructure.settings import Settings
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.resources import FakePictureSource
from tests.support.api import assert_problem, bearer, login, register
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
TOKEN = "push-token-" + "p" * 20


@pytest.fixture
def app_settings() -> Settings:
    return make_settings(job_push_token=TOKEN)


def envelope(queue: FakeJobQueue, attempt: int | None = None) -> dict[str, object]:
    data = base64.b64encode(encode_job(queue.jobs[-1])).decode()
    body: dict[str, object] = {
        "message": {"data": data, "messageId": "1", "attributes": {"kind": "x"}},
        "subscription": "projects/demo-firegate/subscriptions/firegate-jobs-push",
    }
    if attempt is not None:
        body["deliveryAttempt"] = attempt
    return body


@pytest.fixture
def dog_queue(client: FlaskClient, job_queue: FakeJobQueue) -> FakeJobQueue:
    register(client, "alice")
    assert client.post("/dogs/Rex", headers=bearer(login(client, "alice"))).status_code == 202
    return job_queue


def test_a_push_with_the_token_runs_the_job(client: FlaskClient, dog_queue: FakeJobQueue) -> None:
    response = client.post(f"/internal/jobs?token={TOKEN}", json=envelope(dog_queue))
    assert response.status_code == 204
    assert client.get("/dogs/Rex").get_json()["picture_status"] == "ready"
    again = client.post(f"/internal/jobs?token={TOKEN}", json=envelope(dog_queue))
    assert again.status_code == 204  # a redelivery is harmless


def test_failures_ask_for_redelivery_until_the_last_attempt(
    client: FlaskClient, dog_queue: FakeJobQueue, pictures: FakePictureSource
) -> None:
    pictures.failing = True
    url = f"/internal/jobs?token={TOKEN}"
    retry = client.post(url, json=envelope(dog_queue, attempt=1))
    assert_problem(retry, 503, "job_retry")
    assert client.get("/dogs/Rex").get_json()["picture_status"] == "pending"
    assert client.post(url, json=envelope(dog_queue, attempt=5)).status_code == 204
    assert client.get("/dogs/Rex").get_json()["picture_status"] == "failed"


def test_the_dead_letter_push_is_the_last_attempt(
    client: FlaskClient, dog_queue: FakeJobQueue, pictures: FakePictureSource
) -> None:
    pictures.failing = True
    dead = client.post(f"/internal/jobs/dead-letter?token={TOKEN}", json=envelope(dog_queue))
    assert dead.status_code == 204
    assert client.get("/dogs/Rex").get_json()["picture_status"] == "failed"


@pytest.mark.parametrize("query", ["", "?token=", f"?token={TOKEN[:-1]}", f"?token={TOKEN}x"])
def test_pushes_without_the_token_are_refused(
    client: FlaskClient, dog_queue: FakeJobQueue, query: str
) -> None:
    for path in ("/internal/jobs", "/internal/jobs/dead-letter"):
        response = client.post(path + query, json=envelope(dog_queue))
        assert_problem(response, 401, "invalid_push_credentials")
    assert client.get("/dogs/Rex").get_json()["picture_status"] == "pending"


def test_refused_before_the_body_is_read(client: FlaskClient) -> None:
    response = client.post("/internal/jobs", data="{", content_type="application/json")
    assert_problem(response, 401, "invalid_push_credentials")
    bad = client.post(f"/internal/jobs?token={TOKEN}", json={"message": 5})
    assert_problem(bad, 422, "validation_failed")
