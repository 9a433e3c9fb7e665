"""Configuration of the job queues, checked at start-up (the dogs' picture API's: the
dogs unit's, tests/unit/dogs/test_dog_settings.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tests.support.settings import make_settings

pytestmark = pytest.mark.unit


def test_defaults() -> None:
    settings = make_settings(port=8123)
    assert settings.jobs.job_queue == "inprocess"
    assert settings.jobs.job_push_endpoint == "http://127.0.0.1:8123/internal/jobs"
    assert settings.jobs.pubsub_setup is True  # local profile
    production = make_settings(
        app_profile="production",
        **{f"{name}_emulator_host": None for name in ("firestore", "firebase_auth", "pubsub")},
        storage_emulator_host=None,
        public_url="https://app.example.com",
        smtp_url="smtp://smtp.example.com:587",
    )
    assert production.jobs.pubsub_setup is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"job_backoff": 5, "job_backoff_max": 1}, "JOB_BACKOFF_MAX"),
        ({"job_queue": "pubsub"}, "JOB_PUSH_TOKEN"),
        ({"job_queue": "pubsub", "job_push_token": "short"}, "at least 16"),
        ({"job_queue": "pubsub", "job_push_audience": "https://x"}, "JOB_PUSH_TOKEN"),
        (
            {"job_queue": "pubsub", "job_push_token": "t" * 20, "job_max_attempts": 3},
            "JOB_MAX_ATTEMPTS",
        ),
    ],
)
def test_bad_values_stop_the_start(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_settings(**changes)


def test_pubsub_with_a_token_or_oidc() -> None:
    assert make_settings(job_queue="pubsub", job_push_token="t" * 20).jobs.job_queue == "pubsub"
    oidc = make_settings(
        job_queue="pubsub",
        job_push_audience="https://firegate.example/internal/jobs",
        job_push_service_account="pusher@p.iam.gserviceaccount.com",
    )
    assert oidc.jobs.job_push_token is None
