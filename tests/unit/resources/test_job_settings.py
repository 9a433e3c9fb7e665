"""Configuration of the dogs' picture API and of the job queues, checked at start-up."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tests.support.settings import make_settings

pytestmark = pytest.mark.unit


def test_defaults() -> None:
    settings = make_settings(port=8123)
    assert settings.jobs.job_queue == "inprocess"
    assert settings.resources.dog_image_hosts == ["images.dog.ceo"]
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


def test_hosts_from_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOG_IMAGE_HOSTS", "images.dog.ceo, CDN.Example.com")
    assert make_settings().resources.dog_image_hosts == ["images.dog.ceo", "cdn.example.com"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dog_image_hosts": ["169.254.169.254"]}, "DOG_IMAGE_HOSTS"),
        ({"dog_image_hosts": ["https://images.dog.ceo"]}, "DOG_IMAGE_HOSTS"),
        ({"dog_image_hosts": [""]}, "DOG_IMAGE_HOSTS"),
        ({"job_backoff": 5, "job_backoff_max": 1}, "JOB_BACKOFF_MAX"),
        ({"job_queue": "pubsub"}, "JOB_PUSH_TOKEN"),
        ({"job_queue": "pubsub", "job_push_token": "short"}, "at least 16"),
        ({"job_queue": "pubsub", "job_push_audience": "https://x"}, "JOB_PUSH_TOKEN"),
        (
            {"job_queue": "pubsub", "job_push_token": "t" * 20, "job_max_attempts": 3},
            "JOB_MAX_ATTEMPTS",
        ),
        (
            {"app_profile": "production", "dog_api_url": "http://dog.ceo/api/breeds/image/random"},
            "https",
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
