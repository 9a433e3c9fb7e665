"""The production adapters, one per port, made from the settings.

The adapters' modules import the cloud SDKs, most of a cold start, so each is imported where
its adapter is made (hence the function-level imports); five of them are made on first use
(bootstrap/lazy.py, docs/decisions/0150-cold-start.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from application.accounts.accounts import UserRepository
from application.accounts.authentication import Principals
from application.accounts.ways_in import IdentityRepository
from application.events.security_events import SecurityEvents
from application.events.webhooks.ports import (
    HostResolver,
    Scheduler,
    WebhookDeliveries,
    WebhookEndpoints,
    WebhookSender,
)
from application.federation.providers import UpstreamProviders
from application.federation.upstream import UpstreamClient
from application.jobs import JobHandler
from application.mail.sending import ActionTokenRepository, NewDeviceMails
from application.migration.ports import UserMoves
from application.ports import (
    NO_METRICS,
    AuditLog,
    Clock,
    CustomTokenMinter,
    FileStore,
    IdentityVerifier,
    JobQueue,
    Mailer,
    MailRenderer,
    Metrics,
    OneTimePasswords,
    PasskeyCeremonies,
    PasswordHasher,
    PushVerifier,
    RequestCounter,
    SecretBox,
    TokenIssuer,
)
from application.provider.device import DeviceAuthorizations
from application.provider.ports import GrantHolders, OAuthClients, OAuthGrants, ProviderTokens
from application.resources.datasets import DatasetRepository
from application.resources.dogs import DogRepository, PictureSource
from application.resources.files import FileRepository
from application.resources.tasks import TaskRepository
from application.signin.login import LoginLookup
from application.signin.mfa import MfaRepository
from application.signin.passkeys import ChallengeRepository, PasskeyRepository
from application.signin.personal_tokens import PersonalTokenRepository
from application.signin.sessions import SessionRepository
from application.signin.throttle import LoginThrottle
from bootstrap.federation import (
    configured_providers,
    firebase_custom_tokens,
    firebase_identity_verifier,
    upstream_client,
)
from bootstrap.lazy import (
    LazyCeremonies,
    LazyCustomTokens,
    LazyFileStore,
    LazyIdentityVerifier,
    LazyMailer,
    LazyUpstreamClient,
)
from bootstrap.mail import mail_renderer, mailer
from bootstrap.provider import provider_tokens
from bootstrap.resources import file_store, picture_source
from bootstrap.signin import one_time_passwords, passkey_ceremonies, secret_box, token_issuer
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


log = logging.getLogger("firegate")


JobQueueFactory = Callable[[JobHandler], JobQueue]
"""Builds the queue, given what runs a job: the handlers exist only once use cases are bound."""


def _as_it_is(run: JobHandler) -> JobHandler:
    return run


@dataclass(frozen=True)
class Adapters:
    """One adapter per port. Tests build it from fakes and swap fields with ``replace``."""

    users: UserRepository
    sessions: SessionRepository
    principals: Principals
    identities: IdentityRepository
    user_moves: UserMoves  # users import and export
    identity_verifier: IdentityVerifier
    custom_tokens: CustomTokenMinter
    login_lookup: LoginLookup
    throttle: LoginThrottle
    hasher: PasswordHasher
    tokens: TokenIssuer
    clock: Clock
    audit: AuditLog
    ready: Callable[[], bool]
    tasks: TaskRepository
    dogs: DogRepository
    pictures: PictureSource
    datasets: DatasetRepository
    files: FileRepository
    file_store: FileStore
    job_queue: JobQueueFactory
    push_verifier: PushVerifier | None
    request_counter: RequestCounter
    action_tokens: ActionTokenRepository
    mail_renderer: MailRenderer
    mailer: Mailer
    passkeys: PasskeyRepository
    personal_tokens: PersonalTokenRepository
    challenges: ChallengeRepository
    ceremonies: PasskeyCeremonies
    factors: MfaRepository
    otp: OneTimePasswords
    secret_box: SecretBox
    security_events: SecurityEvents
    new_device_mails: NewDeviceMails
    oauth_clients: OAuthClients
    oauth_grants: OAuthGrants
    grant_holders: GrantHolders
    device_authorizations: DeviceAuthorizations
    provider_tokens: ProviderTokens | None  # None: the provider is off
    upstream_providers: UpstreamProviders  # the providers people sign in with
    upstream_client: UpstreamClient
    webhook_endpoints: WebhookEndpoints
    webhook_deliveries: WebhookDeliveries
    host_resolver: HostResolver
    webhook_sender: WebhookSender
    scheduler: Scheduler
    # Webhook deliveries' own queue, so that a slow receiver never holds the mail's threads
    # (docs/reference/jobs.md); None: they share ``job_queue``.
    webhook_queue: JobQueueFactory | None = None
    metrics: Metrics = NO_METRICS  # off (docs/operations.md, "Metrics")
    # With traces on, what puts each job's run in a span, queued or pushed (the queues and
    # the push endpoint are given the same run); off, the run as it is.
    job_spans: Callable[[JobHandler], JobHandler] = _as_it_is


def build_adapters(
    settings: Settings,
    *,
    firestore: Client | None = None,
    hash_waited: Callable[[float], None] | None = None,
    metrics: Metrics = NO_METRICS,
) -> Adapters:
    """The production adapters. ``firestore`` shares one client (tests reuse theirs);
    ``hash_waited`` is told each argon2 hash's wait for a slot, as ``metrics`` are."""
    from infrastructure.clock import SystemClock
    from infrastructure.events.audit import LoggingAuditLog
    from infrastructure.events.webhook_http import (
        PinnedWebhookSender,
        SocketHostResolver,
        ThreadScheduler,
    )
    from infrastructure.firestore.accounts.users import (
        FirestoreLoginLookup,
        FirestorePrincipals,
        FirestoreUserRepository,
    )
    from infrastructure.firestore.client import make_client
    from infrastructure.firestore.events.security_events import FirestoreSecurityEvents
    from infrastructure.firestore.events.webhooks import (
        FirestoreWebhookDeliveries,
        FirestoreWebhookEndpoints,
    )
    from infrastructure.firestore.federation.identities import FirestoreIdentityRepository
    from infrastructure.firestore.federation.upstream_providers import FirestoreUpstreamProviders
    from infrastructure.firestore.mail.action_tokens import FirestoreActionTokenRepository
    from infrastructure.firestore.mail.new_device_mails import FirestoreNewDeviceMails
    from infrastructure.firestore.migration.user_moves import FirestoreUserMoves
    from infrastructure.firestore.provider.oauth import (
        FirestoreGrantHolders,
        FirestoreOAuthClients,
        FirestoreOAuthGrants,
    )
    from infrastructure.firestore.provider.oauth_device import FirestoreDeviceAuthorizations
    from infrastructure.firestore.resources.datasets import FirestoreDatasetRepository
    from infrastructure.firestore.resources.dogs import FirestoreDogRepository
    from infrastructure.firestore.resources.files import FirestoreFileRepository
    from infrastructure.firestore.resources.tasks import FirestoreTaskRepository
    from infrastructure.firestore.signin.login_failures import FirestoreLoginThrottle
    from infrastructure.firestore.signin.mfa import FirestoreMfaRepository
    from infrastructure.firestore.signin.passkeys import (
        FirestoreChallengeRepository,
        FirestorePasskeyRepository,
    )
    from infrastructure.firestore.signin.personal_tokens import FirestorePersonalTokens
    from infrastructure.firestore.signin.sessions import FirestoreSessionRepository
    from infrastructure.signin.argon2_hasher import Argon2PasswordHasher
    from infrastructure.signin.foreign_hashes import mismatch_reporter

    client = firestore or make_client(settings.service.google_cloud_project)
    throttle = FirestoreLoginThrottle(client)
    return Adapters(
        users=FirestoreUserRepository(client),
        sessions=FirestoreSessionRepository(client),
        principals=FirestorePrincipals(client),
        identities=FirestoreIdentityRepository(client),
        user_moves=FirestoreUserMoves(client),
        identity_verifier=LazyIdentityVerifier(partial(firebase_identity_verifier, settings)),
        custom_tokens=LazyCustomTokens(partial(firebase_custom_tokens, settings)),
        login_lookup=FirestoreLoginLookup(client),
        throttle=throttle,
        hasher=Argon2PasswordHasher(
            time_cost=settings.signin.argon2_time_cost,
            memory_kib=settings.signin.argon2_memory_kib,
            parallelism=settings.signin.argon2_parallelism,
            max_concurrent=settings.signin.hash_concurrency,
            waited=_told(hash_waited, None if metrics is NO_METRICS else metrics.argon2_waited),
            mismatched=mismatch_reporter(
                None if metrics is NO_METRICS else metrics.imported_hash_failed
            ),
        ),
        tokens=token_issuer(settings.signin),
        clock=SystemClock(),
        audit=LoggingAuditLog(),
        ready=lambda: _firestore_ready(client),
        tasks=FirestoreTaskRepository(client),
        dogs=FirestoreDogRepository(client),
        pictures=picture_source(settings.resources),
        datasets=FirestoreDatasetRepository(client),
        files=FirestoreFileRepository(client),
        # Originals in Cloud Storage (the storage emulator locally); records and rows in Firestore.
        file_store=LazyFileStore(partial(file_store, settings)),
        job_queue=job_queue_factory(settings, metrics=metrics),
        webhook_queue=job_queue_factory(settings, webhooks=True, metrics=metrics),
        push_verifier=push_verifier(settings) if settings.jobs.push_oidc else None,
        request_counter=request_counter(settings, client),
        action_tokens=FirestoreActionTokenRepository(client),
        mail_renderer=mail_renderer(settings.mail),
        mailer=LazyMailer(partial(mailer, settings.mail)),
        passkeys=FirestorePasskeyRepository(client),
        personal_tokens=FirestorePersonalTokens(client),
        challenges=FirestoreChallengeRepository(client),
        ceremonies=LazyCeremonies(partial(passkey_ceremonies, settings.signin)),
        factors=FirestoreMfaRepository(client),
        otp=one_time_passwords(),
        secret_box=secret_box(settings.signin),
        security_events=FirestoreSecurityEvents(client),
        new_device_mails=FirestoreNewDeviceMails(client),
        oauth_clients=FirestoreOAuthClients(client),
        oauth_grants=FirestoreOAuthGrants(client),
        grant_holders=FirestoreGrantHolders(client),
        device_authorizations=FirestoreDeviceAuthorizations(client),
        provider_tokens=provider_tokens(settings),
        upstream_providers=configured_providers(settings, FirestoreUpstreamProviders(client)),
        upstream_client=LazyUpstreamClient(upstream_client),
        webhook_endpoints=FirestoreWebhookEndpoints(client),
        webhook_deliveries=FirestoreWebhookDeliveries(client),
        host_resolver=SocketHostResolver(),
        webhook_sender=PinnedWebhookSender(timeout=settings.events.webhook_timeout),
        scheduler=ThreadScheduler(),
        metrics=metrics,
    )


def _told(
    *listeners: Callable[[float], None] | None,
) -> Callable[[float], None] | None:
    """One callable telling each of ``listeners`` that are not None; None if none is."""
    present = [listener for listener in listeners if listener is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def tell(value: float) -> None:
        for listener in present:
            listener(value)

    return tell


def _firestore_ready(client: Client) -> bool:
    """Both ways firegate reaches Firestore answer: the client library's gRPC channel and the
    REST batch read of every authenticated request (docs/decisions/0151-batch-reads-over-rest.md).
    """
    from infrastructure.firestore.client import batch_reader

    try:
        client.collection("_health").document("ping").get(timeout=2.0, retry=None)
        batch_reader(client).read(["_health/ping"], retry=False)
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
    from infrastructure.jobs.inprocess import InProcessJobQueue

    if settings.jobs.job_queue == "pubsub":
        from infrastructure.jobs.pubsub import (
            PubSubJobQueue,
            PubSubSetup,
            ensure_pubsub_resources,
        )

        topic, subscription = (
            (settings.jobs.pubsub_webhook_topic, settings.jobs.pubsub_webhook_subscription)
            if webhooks
            else (settings.jobs.pubsub_topic, settings.jobs.pubsub_subscription)
        )

        def pubsub(run: JobHandler) -> JobQueue:  # Pub/Sub pushes jobs to receive_push
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
            observe=None if metrics is NO_METRICS else partial(metrics.jobs_waiting, name),
        )

    name = "webhooks" if webhooks else "jobs"
    return inprocess


def request_counter(settings: Settings, client: Client) -> RequestCounter:
    """RATE_LIMIT_STORAGE_URI: Firestore (the default), Redis, or each process's memory. A
    shared store that fails is stood in for by memory meanwhile (docs/operations.md)."""
    from infrastructure.request_counts import FallbackRequestCounter, InMemoryRequestCounter

    uri = settings.service.rate_limit_storage_uri.get_secret_value()
    if uri.startswith("memory://"):
        return InMemoryRequestCounter()
    shared: RequestCounter
    if uri.startswith("firestore://"):
        from infrastructure.firestore.request_counts import FirestoreRequestCounter

        shared = FirestoreRequestCounter(client)
    else:
        from infrastructure.redis_counts import RedisRequestCounter

        shared = RedisRequestCounter(uri)
    return FallbackRequestCounter(shared, InMemoryRequestCounter())


def push_verifier(settings: Settings) -> PushVerifier:
    from infrastructure.jobs.oidc import GooglePushVerifier

    return GooglePushVerifier(
        audience=settings.jobs.job_push_audience,
        service_account=settings.jobs.job_push_service_account,
    )
