"""The Pub/Sub job queue end to end: gunicorn, the Pub/Sub emulator's push, a fake Dog API.

POST a dog -> published -> the emulator pushes to /internal/jobs?token=... -> the picture
from the local fake API is stored. A failing API: retried with backoff, dead-lettered, and the
dead-letter push marks the dog ``failed``. A push without the token is refused.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from application.jobs import encode_job
from application.ports import Job
from tests.support.api import PASSWORD
from tests.support.fake_dog_api import PICTURE, FakeDogApi, running
from tests.support.servers import serving

pytestmark = pytest.mark.e2e


@dataclass
class Service:
    url: str
    api: FakeDogApi
    token: str


@pytest.fixture(scope="module")
def pubsub_service(emulators: Any) -> Iterator[Service]:
    token = secrets.token_urlsafe(24)
    suffix = secrets.token_hex(4)  # the emulator keeps topics between runs: fresh names
    with running() as api:
        env = {
            "LOG_LEVEL": "WARNING",
            "JOB_QUEUE": "pubsub",
            "JOB_PUSH_TOKEN": token,
            "JOB_MAX_ATTEMPTS": "5",
            "JOB_BACKOFF": "0.5",
            "JOB_BACKOFF_MAX": "1",
            "PUBSUB_TOPIC": f"jobs-{suffix}",
            "PUBSUB_SUBSCRIPTION": f"jobs-push-{suffix}",
            "PUBSUB_DEAD_LETTER_TOPIC": f"jobs-dead-{suffix}",
            "PUBSUB_DEAD_LETTER_SUBSCRIPTION": f"jobs-dead-push-{suffix}",
            "DOG_API_URL": api.url,
            "DOG_API_TIMEOUT": "0.5",
        }
        with serving("gunicorn-pubsub-e2e.log", **env) as url:
            yield Service(url=url, api=api, token=token)


@pytest.fixture
def owner(pubsub_service: Service, firestore: Any) -> dict[str, str]:
    url = pubsub_service.url
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    assert requests.post(url + "/register", json=body, timeout=10).status_code == 201
    login = requests.post(
        url + "/login", json={"username": "alice", "password": PASSWORD}, timeout=10
    )
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def settled(url: str, name: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        dog: dict[str, Any] = requests.get(f"{url}/dogs/{name}", timeout=5).json()
        if dog["picture_status"] != "pending" or time.monotonic() > deadline:
            return dog
        time.sleep(0.1)


def test_a_push_stores_the_picture(pubsub_service: Service, owner: dict[str, str]) -> None:
    url, api = pubsub_service.url, pubsub_service.api
    api.mode = "ok"
    created = requests.post(f"{url}/dogs/Rex", json={"is_adopted": True}, headers=owner, timeout=10)
    assert created.status_code == 202
    assert created.json()["picture_status"] == "pending"
    dog = settled(url, "Rex", timeout=15)
    assert (dog["picture_status"], dog["picture"]) == ("ready", PICTURE)


def test_a_failing_api_ends_in_failed_after_the_retries(
    pubsub_service: Service, owner: dict[str, str]
) -> None:
    url, api = pubsub_service.url, pubsub_service.api
    api.mode = "error"
    api.requests.clear()
    assert requests.post(f"{url}/dogs/Max", headers=owner, timeout=10).status_code == 202
    dog = settled(url, "Max", timeout=45)
    assert (dog["picture_status"], dog["picture"]) == ("failed", None)
    # Five deliveries of the subscription (JOB_MAX_ATTEMPTS), then the dead letter's last try.
    assert len(api.requests) == 6
    api.mode = "ok"


def test_forged_pushes_are_refused(pubsub_service: Service, owner: dict[str, str]) -> None:
    url, api = pubsub_service.url, pubsub_service.api
    api.mode = "error"
    dog = requests.post(f"{url}/dogs/Bella", headers=owner, timeout=10).json()
    job = base64.b64encode(encode_job(Job("fetch_dog_picture", dog["id"]))).decode()
    envelope = {"message": {"data": job, "messageId": "1"}, "subscription": "forged"}
    wrong = ("", "?token=", "?token=" + "x" * 32, "?token=" + pubsub_service.token[:-1])
    for path in ("/internal/jobs", "/internal/jobs/dead-letter"):
        for query in wrong:
            # Even with a user's valid bearer token: only the push subscription may push.
            forged = requests.post(url + path + query, json=envelope, headers=owner, timeout=10)
            assert forged.status_code == 401, (path, query)
            assert forged.json()["code"] == "invalid_push_credentials"
    garbage = {"message": {"data": base64.b64encode(b"nonsense").decode()}}
    accepted = requests.post(
        f"{url}/internal/jobs?token={pubsub_service.token}", json=garbage, timeout=10
    )
    assert accepted.status_code == 204  # authentic but unreadable: acknowledged, dropped
    # A forged dead letter would have marked the dog failed at once; it is still being retried.
    assert requests.get(f"{url}/dogs/Bella", timeout=5).json()["picture_status"] == "pending"
    api.mode = "ok"
