"""Background jobs on fakes: the in-process pool, push authentication, unusable messages
(the picture job's own: tests/unit/dogs/test_dog_picture_job.py)."""

from __future__ import annotations

import base64
import os
import select
import signal
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from application.jobs import (
    JobHandler,
    JobPush,
    JobRunner,
    PushCredentials,
    PushedJobs,
    PushPolicy,
    RetryJob,
)
from application.ports import Job
from domain.errors import Unauthenticated, Unavailable
from infrastructure.jobs import inprocess
from infrastructure.jobs.inprocess import InProcessJobQueue
from infrastructure.jobs.oidc import GooglePushVerifier

pytestmark = pytest.mark.unit
SA = "pusher@my-project.iam.gserviceaccount.com"


class Recorder:
    """A job runner that fails the first ``failures`` attempts of each job."""

    def __init__(self, failures: int = 0, *, block: threading.Event | None = None) -> None:
        self.failures = failures
        self.block = block
        self.calls: list[tuple[str, bool, float]] = []
        self.lock = threading.Lock()

    def __call__(self, job: Job, final: bool) -> None:
        if self.block is not None:
            self.block.wait(5)
        with self.lock:
            self.calls.append((job.subject, final, time.monotonic()))
            attempts = sum(1 for subject, _, _ in self.calls if subject == job.subject)
        if attempts <= self.failures:
            raise RetryJob("not yet")


def queue(run: Recorder, **kwargs: Any) -> InProcessJobQueue:
    options: dict[str, Any] = {"backoff": 0.01, "max_backoff": 0.05, "max_attempts": 5}
    return InProcessJobQueue(run, **{**options, **kwargs})


def test_runs_each_job_once_when_it_succeeds() -> None:
    run = Recorder()
    q = queue(run)
    for i in range(20):
        q.enqueue(Job("k", str(i)))
    assert q.join(5)
    assert sorted(subject for subject, _, _ in run.calls) == sorted(str(i) for i in range(20))


def test_retries_with_backoff_and_says_which_attempt_is_last() -> None:
    run = Recorder(failures=10)
    q = queue(run, backoff=0.02, max_backoff=0.08)
    q.enqueue(Job("k", "a"))
    assert q.join(5)
    assert [final for _, final, _ in run.calls] == [False, False, False, False, True]
    gaps = [b[2] - a[2] for a, b in zip(run.calls, run.calls[1:], strict=False)]
    assert all(gap >= 0.009 for gap in gaps)  # at least half the backoff ceiling each time
    assert gaps[-1] >= 0.04 - 0.005  # the ceiling doubles: 0.02, 0.04, 0.08 (capped)


def test_a_later_attempt_succeeds() -> None:
    run = Recorder(failures=2)
    q = queue(run)
    q.enqueue(Job("k", "a"))
    assert q.join(5)
    assert [final for _, final, _ in run.calls] == [False, False, False]


def test_settle_waits_for_the_running_and_due_jobs_of_every_queue_not_a_later_retry() -> None:
    slow, later = threading.Event(), Recorder(failures=1)
    done: list[str] = []

    def run_slowly(job: Job, final: bool) -> None:
        slow.wait(5)
        done.append(job.subject)

    first = InProcessJobQueue(run_slowly)
    second = InProcessJobQueue(later, backoff=30, max_backoff=30)
    first.enqueue(Job("k", "a"))
    first.enqueue(Job("k", "b"))
    second.enqueue(Job("k", "retried in 15-30 s"))
    assert not inprocess.settle(0.2)  # "a" and "b" wait on the event
    threading.Timer(0.2, slow.set).start()
    assert inprocess.settle(5)
    assert sorted(done) == ["a", "b"]
    assert len(later.calls) == 1 and not second.join(0.1)  # its retry still waits


def test_the_queue_is_bounded_and_the_pool_too() -> None:
    gate = threading.Event()
    run = Recorder(block=gate)
    q = queue(run, workers=2, max_pending=3)
    q.enqueue(Job("k", "running-1"))
    q.enqueue(Job("k", "running-2"))
    time.sleep(0.1)  # both workers are now blocked in a job
    for i in range(3):
        q.enqueue(Job("k", f"waiting-{i}"))
    with pytest.raises(Unavailable) as info:
        q.enqueue(Job("k", "one too many"))
    assert info.value.code == "job_queue_full"
    workers = [t for t in threading.enumerate() if t.name.startswith("job-worker-")]
    assert len([t for t in workers if t in q._threads]) == 2
    gate.set()
    assert q.join(5)
    assert len(run.calls) == 5


def test_workers_start_again_in_a_forked_child() -> None:
    run = Recorder()
    q = queue(run)
    q.enqueue(Job("k", "parent"))
    assert q.join(5)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no threads came along; the queue must start its own
        try:
            q.enqueue(Job("k", "child"))
            ok = q.join(5) and [s for s, _, _ in run.calls][-1] == "child"
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 10)
    answer = os.read(read, 1) if ready else b""
    if not ready:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert answer == b"1"


# -- push authentication ----------------------------------------------------------------


class FakeVerifier:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def verify(self, bearer_token: str) -> None:
        self.seen.append(bearer_token)
        if bearer_token != "good-oidc-token":
            raise Unauthenticated("bad", code="invalid_push_credentials")


@pytest.mark.parametrize(
    ("policy", "credentials", "ok"),
    [
        (PushPolicy(shared_token="s" * 20), PushCredentials(token="s" * 20), True),
        (PushPolicy(shared_token="s" * 20), PushCredentials(token="s" * 19), False),
        (PushPolicy(shared_token="s" * 20), PushCredentials(token=""), False),
        (PushPolicy(shared_token=""), PushCredentials(token=""), False),
        (PushPolicy(shared_token="s" * 20), PushCredentials(bearer="good-oidc-token"), False),
        (PushPolicy(oidc=True), PushCredentials(bearer="good-oidc-token"), True),
        (PushPolicy(oidc=True), PushCredentials(bearer="forged"), False),
        (PushPolicy(oidc=True), PushCredentials(token="anything"), False),
    ],
)
def test_only_the_shared_token_or_a_verified_oidc_token_may_push(
    policy: PushPolicy, credentials: PushCredentials, ok: bool
) -> None:
    def authorize() -> None:
        endpoint = PushedJobs(
            policy=policy, verifier=FakeVerifier(), run=Recorder(), max_attempts=5
        )
        endpoint.authorize_push(credentials)

    if ok:
        authorize()
    else:
        with pytest.raises(Unauthenticated) as info:
            authorize()
        assert info.value.code == "invalid_push_credentials"


def claims(**changes: Any) -> dict[str, Any]:
    return {"iss": "https://accounts.google.com", "email": SA, "email_verified": True, **changes}


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (claims(), None),
        (claims(email="someone-else@x.iam.gserviceaccount.com"), Unauthenticated),
        (claims(email_verified=False), Unauthenticated),
        (ValueError("Token has wrong audience"), Unauthenticated),
        (ValueError("Token expired"), Unauthenticated),
    ],
)
def test_google_push_verifier_checks_the_service_account(answer: Any, error: Any) -> None:
    asked: list[tuple[str, str]] = []

    def check(token: str, audience: str) -> Mapping[str, Any]:
        asked.append((token, audience))
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)

    verifier = GooglePushVerifier(
        audience="https://svc/internal/jobs", service_account=SA, check=check
    )
    if error is None:
        verifier.verify("tok")
    else:
        with pytest.raises(error):
            verifier.verify("tok")
    assert asked == [("tok", "https://svc/internal/jobs")]


def test_google_push_verifier_without_certificates_asks_for_a_retry() -> None:
    from google.auth.exceptions import TransportError

    def check(token: str, audience: str) -> Mapping[str, Any]:
        raise TransportError("no route to www.googleapis.com")  # type: ignore[no-untyped-call]

    verifier = GooglePushVerifier(audience="a", service_account=SA, check=check)
    with pytest.raises(Unavailable):
        verifier.verify("tok")


# -- unusable messages ------------------------------------------------------------------


def pushed(run: JobHandler) -> PushedJobs:
    """The push endpoint, with JOB_MAX_ATTEMPTS 5."""
    return PushedJobs(policy=PushPolicy(), verifier=None, run=run, max_attempts=5)


@pytest.mark.parametrize(
    "data",
    [
        "!!!not base64",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b"[1]").decode(),
        base64.b64encode(b"[" * 1000 + b"]" * 1000).decode(),
        base64.b64encode(b"\xff").decode(),
        base64.b64encode(b'{"kind": "unknown", "subject": "x"}').decode(),
        base64.b64encode(b'{"kind": "noted"}').decode(),
    ],
)
def test_unusable_messages_are_acknowledged_not_retried(data: str) -> None:
    noted = Recorder()
    pushed(JobRunner(handlers={"noted": noted}).run).receive_push(JobPush(data=data))
    assert noted.calls == []
