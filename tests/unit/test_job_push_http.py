"""POST /internal/jobs as Pub/Sub calls it, on fakes: token, ack (204), retry (503). The job
is the tests' own unit's (tests/support/keepsakes.py); the dog picture job's own retries are
in tests/unit/dogs/."""

from __future__ import annotations

import base64

import pytest
from flask.testing import FlaskClient

from application.jobs import encode_job
from application.ports import Job
from bootstrap import Adapters
from infrastructure.settings import Settings
from tests.support.api import assert_problem
from tests.support.keepsakes import KEEPSAKE_JOB, FakeKeptJob, Keepsakes, with_keepsakes
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
TOKEN = "push-token-" + "p" * 20
JOB = Job(KEEPSAKE_JOB, "k1")


@pytest.fixture
def app_settings() -> Settings:
    return make_settings(job_push_token=TOKEN)


@pytest.fixture
def keepsakes() -> Keepsakes:
    return Keepsakes()


@pytest.fixture
def adapters(adapters: Adapters, keepsakes: Keepsakes) -> Adapters:
    return with_keepsakes(adapters, keepsakes)


@pytest.fixture
def job(keepsakes: Keepsakes) -> FakeKeptJob:
    return keepsakes.job


def envelope(attempt: int | None = None) -> dict[str, object]:
    data = base64.b64encode(encode_job(JOB)).decode()
    body: dict[str, object] = {
        "message": {"data": data, "messageId": "1", "attributes": {"kind": "x"}},
        "subscription": "projects/demo-firegate/subscriptions/firegate-jobs-push",
    }
    if attempt is not None:
        body["deliveryAttempt"] = attempt
    return body


def test_a_push_with_the_token_runs_the_job(client: FlaskClient, job: FakeKeptJob) -> None:
    response = client.post(f"/internal/jobs?token={TOKEN}", json=envelope())
    assert response.status_code == 204
    assert job.runs == [("k1", False)]
    again = client.post(f"/internal/jobs?token={TOKEN}", json=envelope())
    assert again.status_code == 204  # a redelivery is the handler's to make harmless
    assert job.runs == [("k1", False), ("k1", False)]


def test_failures_ask_for_redelivery_until_the_last_attempt(
    client: FlaskClient, job: FakeKeptJob
) -> None:
    job.failing = True
    url = f"/internal/jobs?token={TOKEN}"
    retry = client.post(url, json=envelope(attempt=1))
    assert_problem(retry, 503, "job_retry")
    assert job.gave_up == []
    assert client.post(url, json=envelope(attempt=5)).status_code == 204
    assert job.runs == [("k1", False), ("k1", True)] and job.gave_up == ["k1"]


def test_the_dead_letter_push_is_the_last_attempt(client: FlaskClient, job: FakeKeptJob) -> None:
    job.failing = True
    dead = client.post(f"/internal/jobs/dead-letter?token={TOKEN}", json=envelope())
    assert dead.status_code == 204
    assert job.runs == [("k1", True)] and job.gave_up == ["k1"]


@pytest.mark.parametrize("query", ["", "?token=", f"?token={TOKEN[:-1]}", f"?token={TOKEN}x"])
def test_pushes_without_the_token_are_refused(
    client: FlaskClient, job: FakeKeptJob, query: str
) -> None:
    for path in ("/internal/jobs", "/internal/jobs/dead-letter"):
        response = client.post(path + query, json=envelope())
        assert_problem(response, 401, "invalid_push_credentials")
    assert job.runs == []


def test_refused_before_the_body_is_read(client: FlaskClient) -> None:
    response = client.post("/internal/jobs", data="{", content_type="application/json")
    assert_problem(response, 401, "invalid_push_credentials")
    bad = client.post(f"/internal/jobs?token={TOKEN}", json={"message": 5})
    assert_problem(bad, 422, "validation_failed")
