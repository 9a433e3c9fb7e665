"""What every capability stands on: the clock, the audit log, the metrics, the job queues,
the request counter behind the per-address limits, the readiness probe, the object store
(Cloud Storage, made by its first use in a worker: bootstrap/cloud.py) and the outbound https
client; and the push endpoint's object.

Pub/Sub's, Redis's and the push tokens' adapters are imported only when the settings ask for
them: optional dependencies, and client libraries that gunicorn's master never imports
(docs/decisions/0453-one-import-in-the-master.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.jobs import JobHandler, PushedJobs, PushPolicy
from application.metrics import JOBS_OLDEST_DUE, JOBS_WAITING
from application.ports import (
    NO_METRICS,
    AuditLog,
    Clock,
    FileStore,
    JobQueue,
    Metrics,
    PushVerifier,
    RequestCounter,
)
from bootstrap.cloud import GcsFileStoreOnFirstUse
from infrastructure.audit_log import LoggingAuditLog
from infrastructure.clock import SystemClock
from infrastructure.firestore.client import reads_of
from infrastructure.firestore.request_counts import FirestoreRequestCounter
from infrastructure.jobs.inprocess import InProcessJobQueue
from infrastructure.outbound_http import Outbound
from infrastructure.request_counts import FallbackRequestCounter, InMemoryRequestCounter
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


log = logging.getLogger("firegate")


JobQueueFactory = Callable[[JobHandler], JobQueue]
"""Builds the queue, given what runs a job: the handlers exist only once the use cases are built."""


def outbound(settings: Settings) -> Outbound:
    """The one client of every call to an address firegate is given (a webhook, an auth hook,
    a client's keys or metadata document, an IdP's metadata or OpenID endpoints), trusting
    the CA bundle of SSL_CERT_FILE where it is set (docs/configuration.md, "Service"): the
    only reader of that setting. The upstream providers' client trusts its ``ca_certs``."""
    return Outbound(ca_certs=settings.service.ssl_cert_file)


def _as_it_is(run: JobHandler) -> JobHandler:
    return run


@dataclass(frozen=True)
class Platform:
    """The ports every capability may use. Tests build it from fakes and swap fields with
    ``replace``."""

    clock: Clock
    audit: AuditLog
    ready: Callable[[], bool]
    job_queue: JobQueueFactory
    push_verifier: PushVerifier | None
    request_counter: RequestCounter
    # The object store the upload units share (datasets, files): Cloud Storage, the storage
    # emulator locally; units reach it as ``kernel.platform.file_store``.
    file_store: FileStore
    # The outbound https client: one CA bundle (SSL_CERT_FILE), one TLS context, one pool
    # of kept connections; each caller takes ``outbound.sender(its timeout)``.
    outbound: Outbound
    # Webhook deliveries' own queue, so that a slow receiver never holds the mail's threads
    # (docs/reference/jobs.md); None: they share ``job_queue``.
    webhook_queue: JobQueueFactory | None = None
    metrics: Metrics = NO_METRICS  # off (docs/operations.md, "Metrics")
    # With traces on, what puts each job's run in a span, queued or pushed (the queues and
    # the push endpoint are given the same run); off, the run as it is.
    job_spans: Callable[[JobHandler], JobHandler] = _as_it_is


def build(settings: Settings, client: Client, *, metrics: Metrics = NO_METRICS) -> Platform:
    calls_out = outbound(settings)
    return Platform(
        clock=SystemClock(),
        audit=LoggingAuditLog(),
        ready=FirestoreProbe(client).ready,
        job_queue=job_queue_factory(settings, metrics=metrics),
        webhook_queue=job_queue_factory(settings, webhooks=True, metrics=metrics),
        push_verifier=push_verifier(settings, calls_out) if settings.jobs.push_oidc else None,
        request_counter=request_counter(settings, client),
        file_store=file_store(settings),
        outbound=calls_out,
        metrics=metrics,
    )


def file_store(settings: Settings) -> FileStore:
    """Cloud Storage's adapter, made by its first use in a worker (bootstrap/cloud.py)."""

    def make() -> FileStore:
        # A cloud client library: imported by the worker, never by gunicorn's master.
        from infrastructure.gcs_storage import GcsFileStore  # noqa: PLC0415

        return GcsFileStore(
            settings.storage.storage_bucket,
            project=settings.service.google_cloud_project,
            create_bucket=settings.service.app_profile == "local",
        )

    return GcsFileStoreOnFirstUse(make)


def pushed_jobs(platform: Platform, settings: Settings, *, run: JobHandler) -> PushedJobs:
    """The push endpoint of the background jobs. ``run``: what runs any job, as the queues
    are given it (``JobRunner.run`` over every feature's handlers)."""
    return PushedJobs(
        policy=PushPolicy(shared_token=settings.jobs.push_token, oidc=settings.jobs.push_oidc),
        verifier=platform.push_verifier,
        run=run,
        max_attempts=settings.jobs.job_max_attempts,
    )


class FirestoreProbe:
    """The readiness probe's: does Firestore answer?"""

    def __init__(self, client: Client) -> None:
        self._client = client

    def ready(self) -> bool:
        """Both ways firegate reaches Firestore answer: the client library's gRPC channel and
        the REST batch read of every authenticated request
        (docs/decisions/0151-batch-reads-over-rest.md)."""
        try:
            reads_of(self._client).probe()
        except Exception:  # any failure means "not ready"; the probe must never raise
            log.warning("readiness check failed: Firestore did not answer")
            return False
        return True


def job_queue_factory(
    settings: Settings, *, webhooks: bool = False, metrics: Metrics = NO_METRICS
) -> JobQueueFactory:
    """JOB_QUEUE: a worker pool in this process, or Pub/Sub pushing to /internal/jobs.
    ``webhooks``: the webhook deliveries' queue, apart from the other jobs' (their own
    threads, or their own topic and push subscription). ``metrics`` see the pool's queue
    (Pub/Sub's is Pub/Sub's to tell)."""
    if settings.jobs.job_queue == "pubsub":
        from infrastructure.jobs.pubsub import (  # noqa: PLC0415 - optional (see module)
            PubSubJobQueue,
            PubSubSetup,
            ensure_pubsub_resources,
        )

        topic, subscription = (
            (settings.jobs.pubsub_webhook_topic, settings.jobs.pubsub_webhook_subscription)
            if webhooks
            else (settings.jobs.pubsub_topic, settings.jobs.pubsub_subscription)
        )

        def pubsub(run: JobHandler) -> JobQueue:  # Pub/Sub pushes jobs to the push endpoint
            if settings.jobs.pubsub_setup:
                ensure_pubsub_resources(
                    PubSubSetup(
                        project=settings.service.google_cloud_project,
                        topic=topic,
                        subscription=subscription,
                        dead_letter_topic=settings.jobs.pubsub_dead_letter_topic,
                        dead_letter_subscription=settings.jobs.pubsub_dead_letter_subscription,
                        push_endpoint=settings.jobs.job_push_endpoint,
                        push_token=settings.jobs.push_token,
                        oidc_service_account=settings.jobs.job_push_service_account,
                        oidc_audience=settings.jobs.job_push_audience,
                        max_attempts=settings.jobs.job_max_attempts,
                        min_backoff=settings.jobs.job_backoff,
                        max_backoff=settings.jobs.job_backoff_max,
                    )
                )
            return PubSubJobQueue(settings.service.google_cloud_project, topic)

        return pubsub

    def inprocess(run: JobHandler) -> JobQueue:
        return InProcessJobQueue(
            run,
            workers=settings.jobs.webhook_workers if webhooks else settings.jobs.job_workers,
            max_pending=settings.jobs.job_queue_size,
            max_attempts=settings.jobs.job_max_attempts,
            backoff=settings.jobs.job_backoff,
            max_backoff=settings.jobs.job_backoff_max,
            observe=None if metrics is NO_METRICS else _queue_gauges(metrics, name),
        )

    name = "webhooks" if webhooks else "jobs"
    return inprocess


def _queue_gauges(metrics: Metrics, queue: str) -> Callable[[int, float], None]:
    """What an in-process queue tells of itself, as its gauges: how many jobs wait, and when
    the first of them was due (infinity: none waits)."""

    def observe(waiting: int, oldest_due: float) -> None:
        metrics.set(JOBS_WAITING, waiting, queue=queue)
        metrics.set(JOBS_OLDEST_DUE, oldest_due, queue=queue)

    return observe


def request_counter(settings: Settings, client: Client) -> RequestCounter:
    """RATE_LIMIT_STORAGE_URI: Firestore (the default), Redis, or each process's memory. A
    shared store that fails is stood in for by memory meanwhile (docs/operations.md)."""
    uri = settings.service.rate_limit_storage_uri.get_secret_value()
    if uri.startswith("memory://"):
        return InMemoryRequestCounter()
    shared: RequestCounter
    if uri.startswith("firestore://"):
        shared = FirestoreRequestCounter(client)
    else:
        from infrastructure.redis_counts import RedisRequestCounter  # noqa: PLC0415 - optional

        shared = RedisRequestCounter(uri)
    return FallbackRequestCounter(shared, InMemoryRequestCounter())


def push_verifier(settings: Settings, calls_out: Outbound) -> PushVerifier:
    """Pushed jobs' tokens, checked against Google's certificates fetched trusting the
    outbound client's CA bundle."""
    from infrastructure.jobs.oidc import GooglePushVerifier  # noqa: PLC0415 - optional

    return GooglePushVerifier(
        audience=settings.jobs.job_push_audience,
        service_account=settings.jobs.job_push_service_account,
        ca_certs=calls_out.ca_certs,
    )
