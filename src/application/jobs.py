"""Background jobs: handlers by kind, the authenticated push endpoint's use cases, and the
periodic sweeps as jobs, which a scheduler outside the process may push.

A ``JobQueue`` adapter delivers each job at least once: the in-process pool calls
``JobRunner.run`` from its workers, Pub/Sub pushes it to the service
(``PushedJobs.receive_push``). A handler
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
from domain.slots import Slot

log = logging.getLogger("firegate.jobs")

# (job, final_attempt): on the final attempt a handler records the failure instead of raising.
JobHandler = Callable[[Job, bool], None]
# The jobs' slot: a job's kind and its handler, filled by the ``lends`` of the unit whose job
# it is (bootstrap/unit.py, ``Lent``), run by the ``JobRunner``.
JOBS = Slot[tuple[str, JobHandler]]("jobs")
SWEEP = "sweep"  # a job that runs the sweep its subject names (Sweeps)
# A periodic pass (the webhook deliveries due, the IdP certificates' warnings): how many
# things it queued or warned of.
Sweep = Callable[[], int]
# The sweeps' slot: a sweep's name (a ``sweep`` job's subject) and its pass, filled by the
# ``lends`` of the unit whose pass it is, run by ``Sweeps``.
SWEEPS = Slot[tuple[str, Sweep]]("sweeps")
# The timers' slot: what starts a unit's passes on this process's own timer, filled by its
# ``lends``, started once every job's handler is in the runner (a pass queues jobs).
TIMERS = Slot[Callable[[], None]]("timers")


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


@dataclass(frozen=True, kw_only=True, slots=True)
class JobRunner:
    """What runs any job, queued or pushed: the handler of its kind, from every
    capability's handlers (filled once they are built: some of them queue jobs themselves)."""

    handlers: Mapping[str, JobHandler]

    def run(self, job: Job, final: bool) -> None:
        handler = self.handlers.get(job.kind)
        if handler is None:
            log.warning("job of unknown kind %r dropped", job.kind)
            return
        handler(job, final)


@dataclass(frozen=True, kw_only=True, slots=True)
class PushedJobs:
    """The push endpoint of the background jobs. ``run``: what runs any job, as the queues
    are given it (``JobRunner.run``, in a span with traces on); ``max_attempts``: the last
    delivery's number, whose run is told it is final."""

    policy: PushPolicy
    verifier: PushVerifier | None
    run: JobHandler
    max_attempts: int

    def authorize_push(self, credentials: PushCredentials) -> None:
        """Only the push subscription may run jobs: the shared token, or a verified OIDC
        token."""
        policy, token = self.policy, credentials.token.encode()
        if (
            policy.shared_token
            and token
            and hmac.compare_digest(token, policy.shared_token.encode())
        ):
            return
        if policy.oidc and self.verifier is not None and credentials.bearer:
            self.verifier.verify(credentials.bearer)
            return
        raise Unauthenticated("Not a push from our job queue.", code="invalid_push_credentials")

    def receive_push(self, push: JobPush) -> None:
        """Run a pushed job; returning acknowledges it, RetryJob asks for a redelivery."""
        try:
            job = decode_job(base64.b64decode(push.data, validate=True))
        except (binascii.Error, ValueError):
            job = None
        if job is None:
            # Acknowledged: a message we cannot read will never succeed, however often it
            # comes.
            log.warning("unreadable job message dropped")
            return
        final = push.dead_letter or (push.delivery_attempt or 0) >= self.max_attempts
        self.run(job, final)


class Sweeps:
    """The periodic passes by name, which each server also runs on its own timer. A
    ``sweep`` job runs the one its subject names: a scheduler outside the process (Cloud
    Scheduler) pushes such jobs where no instance has CPU between requests
    (docs/reference/jobs.md, "Sweeps"). A pass is safe beside another, in any process."""

    def __init__(self, sweeps: Mapping[str, Sweep]) -> None:
        self._sweeps = dict(sweeps)

    def run_job(self, job: Job, final: bool) -> None:
        """The sweep the job names, once; a name no sweep has is dropped (it never will)."""
        sweep = self._sweeps.get(job.subject)
        if sweep is None:
            log.warning("sweep %r unknown; job dropped", job.subject)
            return
        log.info("sweep %s: %d", job.subject, sweep())
