"""The FETCH_DOG_PICTURE job's handler, as the push endpoint runs it: idempotent, retried
until its last attempt, a dead-lettered job's one last try, a gone dog's job acknowledged."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from application import jobs
from application.dogs import FETCH_DOG_PICTURE, DogPictures
from application.jobs import JobHandler, JobPush, JobRunner, PushedJobs, PushPolicy, RetryJob
from application.ports import Job
from domain.dogs import Dog, DogName, PictureStatus
from tests.fakes.kernel import FakeClock
from tests.unit.dogs.fakes import FakeDogRepository, FakePictureSource

pytestmark = pytest.mark.unit


@pytest.fixture
def dogs() -> FakeDogRepository:
    repo = FakeDogRepository()
    now = datetime(2026, 5, 1, tzinfo=UTC)
    repo.add(Dog.create(id="d1", name=DogName("Rex"), owner_id="u1", is_adopted=False, now=now))
    return repo


def push(subject: str, **kwargs: Any) -> JobPush:
    data = base64.b64encode(jobs.encode_job(Job(FETCH_DOG_PICTURE, subject))).decode()
    return JobPush(data=data, **kwargs)


def runner(dogs: FakeDogRepository, pictures: FakePictureSource) -> JobHandler:
    """What the push endpoint runs a job with: ``JobRunner.run`` over the picture job's
    handler."""

    fetch = DogPictures(dogs=dogs, pictures=pictures, clock=FakeClock()).fetch
    return JobRunner(handlers={FETCH_DOG_PICTURE: fetch}).run


def pushed(run: JobHandler) -> PushedJobs:
    """The push endpoint, with JOB_MAX_ATTEMPTS 5."""
    return PushedJobs(policy=PushPolicy(), verifier=None, run=run, max_attempts=5)


def test_the_picture_job_is_idempotent(dogs: FakeDogRepository) -> None:
    pictures = FakePictureSource()
    for _ in range(3):
        pushed(runner(dogs, pictures)).receive_push(push("d1"))
    dog = dogs.get("d1")
    assert dog is not None and dog.picture_status is PictureStatus.READY
    assert pictures.calls == 1  # the later deliveries saw a finished dog and did nothing


def test_the_picture_job_fails_only_on_the_last_attempt(dogs: FakeDogRepository) -> None:
    pictures = FakePictureSource()
    pictures.failing = True
    run = runner(dogs, pictures)
    for attempt in (1, 2, 3, 4):
        with pytest.raises(RetryJob):
            pushed(run).receive_push(push("d1", delivery_attempt=attempt))
    assert dogs.dogs["d1"].picture_status is PictureStatus.PENDING
    pushed(run).receive_push(push("d1", delivery_attempt=5))
    last = dogs.dogs["d1"]
    assert last.picture_status is PictureStatus.FAILED


def test_a_dead_lettered_job_gets_one_last_try(dogs: FakeDogRepository) -> None:
    pictures = FakePictureSource()
    pushed(runner(dogs, pictures)).receive_push(push("d1", dead_letter=True))
    assert dogs.dogs["d1"].picture_status is PictureStatus.READY


@pytest.mark.parametrize(
    "data",
    [
        # the core's unusable messages (tests/unit/test_jobs.py), this job's kind
        "!!!not base64",
        base64.b64encode(b'{"kind": "unknown", "subject": "x"}').decode(),
        base64.b64encode(b'{"kind": "fetch_dog_picture"}').decode(),
        base64.b64encode(b'{"kind": "fetch_dog_picture", "subject": "gone"}').decode(),
    ],
)
def test_unusable_messages_are_acknowledged_not_retried(dogs: FakeDogRepository, data: str) -> None:
    pushed(runner(dogs, FakePictureSource())).receive_push(JobPush(data=data))
    assert dogs.dogs["d1"].picture_status is PictureStatus.PENDING
