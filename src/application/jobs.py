"""Background jobs: handlers by kind, and the authenticated push endpoint's use cases.

A ``JobQueue`` adapter delivers each job at least once: the in-process pool calls
``run_job`` from its workers, Pub/Sub pushes it to the service (``receive_push``). A handler
is told whether this is the last attempt; before that, it raises ``RetryJob`` to be run again
later. Handlers are idempotent: a job may run twice, even at the same time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from application.json_text import read_json
from application.ports import Job, PushVerifier
from domain.errors import Unauthenticated, Unavailable

log = logging.getLogger("firegate.jobs")

# (job, final_attempt): on the final attempt a handler records the failure instead of raising.
JobHandler = Callable[[Job, bool], None]


class RetryJob(Unavailable):
    """This attempt failed; the queue runs the job again after a backoff."""

    code = "job_retry"
    title = "The job will be retried"


@dataclass(frozen=True)
class PushPolicy:
    shared_token: str = ""  # JOB_PUSH_TOKEN, sent by the push subscription as ?token=
    oidc: bool = False  # accept OIDC tokens signed by Google for our push service account


@dataclass(frozen=True)
class PushCredentials:
    token: str = ""  # the ?token= query parameter
    bearer: str = ""  # the Authorization: Bearer token, if any


@dataclass(frozen=True)
class JobPush:
    data: str  # the message's data, base64, as the push service sends it
    delivery_attempt: int | None = None  # Pub/Sub sends it when a dead-letter policy is set
    dead_letter: bool = False  # delivered from the dead-letter topic: the job's last chance


# A W3C traceparent is 55 characters; a longer "trace" is not one and is dropped.
_TRACE_MAX = 55


def encode_job(job: Job) -> bytes:
    fields = {"kind": job.kind, "subject": job.subject}
    if job.trace:
        fields["trace"] = job.trace
    return json.dumps(fields, separators=(",", ":")).encode()


def decode_job(data: bytes) -> Job | None:
    try:
        fields = read_json(data.decode("utf-8"))
    except ValueError:  # UnreadableJson and UnicodeDecodeError alike
        return None
    if not isinstance(fields, dict):
        return None
    kind, subject, trace = fields.get("kind"), fields.get("subject"), fields.get("trace", "")
    if isinstance(kind, str) and isinstance(subject, str) and kind and subject:
        # The trace only joins spans: one that is no traceparent is left out, not refused.
        if not isinstance(trace, str) or len(trace) > _TRACE_MAX:
            trace = ""
        return Job(kind=kind, subject=subject, trace=trace)
    return None


def authorize_push(
    credentials: PushCredentials, *, policy: PushPolicy, verifier: PushVerifier | None
) -> None:
    """Only the push subscription may run jobs: the shared token, or a verified OIDC token."""
    token = credentials.token.encode()
    if policy.shared_token and token and hmac.compare_digest(token, policy.shared_token.encode()):
        return
    if policy.oidc and verifier is not None and credentials.bearer:
        verifier.verify(credentials.bearer)
        return
    raise Unauthenticated("Not a push from our job queue.", code="invalid_push_credentials")


def run_job(job: Job, final: bool, *, handlers: Mapping[str, JobHandler]) -> None:
    handler = handlers.get(job.kind)
    if handler is None:
        log.warning("job of unknown kind %r dropped", job.kind)
        return
    handler(job, final)


def receive_push(push: JobPush, *, run: JobHandler, max_attempts: int) -> None:
    """Run a pushed job with ``run`` (``run_job`` over every handler); returning
    acknowledges it, RetryJob asks for a redelivery."""
    try:
        job = decode_job(base64.b64decode(push.data, validate=True))
    except (binascii.Error, ValueError):
        job = None
    if job is None:
        # Acknowledged: a message we cannot read will never succeed, however often it comes.
        log.warning("unreadable job message dropped")
        return
    final = push.dead_letter or (push.delivery_attempt or 0) >= max_attempts
    run(job, final)


@dataclass(frozen=True)
class JobServices:
    authorize_push: Callable[[PushCredentials], None]
    receive_push: Callable[[JobPush], None]
