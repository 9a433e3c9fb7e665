"""The production adapters, one per port, made from the settings.

The adapters' modules import the cloud SDKs, most of a cold start, so each is imported where
its adapter is made (hence the function-level imports); five of them are made on first use
(bootstrap/lazy.py, docs/decisions/0150-cold-start.md).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache, partial
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
from application.federation.providers import UpstreamProviders, WithConfigured
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
from bootstrap.lazy import (
    LazyCeremonies,
    LazyCustomTokens,
    LazyFileStore,
    LazyIdentityVerifier,
    LazyMailer,
    LazyProviderTokens,
    LazyUpstreamClient,
)
from domain.errors import InvalidInput
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from infrastructure.signin.jwt_tokens import PyJWTTokenIssuer, SigningKey

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
        identity_verifier=LazyIdentityVerifier(lambda: firebase_identity_verifier(settings)),
        custom_tokens=LazyCustomTokens(lambda: firebase_custom_tokens(settings)),
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
        tokens=token_issuer(settings),
        clock=SystemClock(),
        audit=LoggingAuditLog(),
        ready=lambda: _firestore_ready(client),
        tasks=FirestoreTaskRepository(client),
        dogs=FirestoreDogRepository(client),
        pictures=picture_source(settings),
        datasets=FirestoreDatasetRepository(client),
        files=FirestoreFileRepository(client),
        # Originals in Cloud Storage (the storage emulator locally); records and rows in Firestore.
        file_store=LazyFileStore(lambda: file_store(settings)),
        job_queue=job_queue_factory(settings, metrics=metrics),
        webhook_queue=job_queue_factory(settings, webhooks=True, metrics=metrics),
        push_verifier=push_verifier(settings) if settings.jobs.push_oidc else None,
        request_counter=request_counter(settings, client),
        action_tokens=FirestoreActionTokenRepository(client),
        mail_renderer=mail_renderer(settings),
        mailer=LazyMailer(lambda: mailer(settings)),
        passkeys=FirestorePasskeyRepository(client),
        personal_tokens=FirestorePersonalTokens(client),
        challenges=FirestoreChallengeRepository(client),
        ceremonies=LazyCeremonies(lambda: passkey_ceremonies(settings)),
        factors=FirestoreMfaRepository(client),
        otp=one_time_passwords(),
        secret_box=secret_box(settings),
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


def signing_key(settings: Settings) -> SigningKey:
    from infrastructure.signin.jwt_tokens import SigningKey, signing_key_from_pem

    if settings.signin.jwt_private_key:
        return signing_key_from_pem(settings.signin.jwt_private_key.get_secret_value().encode())
    if settings.signin.jwt_secret is None:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return SigningKey(algorithm="HS256", key=settings.signin.jwt_secret.get_secret_value().encode())


def provider_tokens(settings: Settings) -> ProviderTokens | None:
    """The provider's tokens, signed with JWT_PRIVATE_KEY's key, else OIDC_PRIVATE_KEY's (the
    settings make a development one in the local profile), and its RS256 ID tokens, when that
    key is EC, with OIDC_RSA_PRIVATE_KEY's (docs/decisions/0212-rs256-id-tokens.md); None when
    the provider is off."""
    pem = settings.signin.jwt_private_key or settings.provider.oidc_private_key
    if not settings.provider.oauth_provider or pem is None:
        return None
    rsa_pem = settings.provider.oidc_rsa_private_key
    # Loaded when first used (a JWKS, a token, the discovery document): the keys are not
    # read, nor a development key made, while the app is built.
    return LazyProviderTokens(
        lambda: _provider_tokens(
            settings.service.public_url,
            pem.get_secret_value(),
            rsa_pem.get_secret_value() if rsa_pem is not None else None,
        )
    )


@lru_cache(maxsize=4)
def _provider_tokens(issuer: str, pem: str, rsa_pem: str | None) -> ProviderTokens:
    """Made once per process for its keys: checking an RSA key takes about 25 ms, and the
    tests build many apps; the adapters and the provider's endpoints share it."""
    from infrastructure.signin.jwt_tokens import PyJWTProviderTokens, signing_key_from_pem

    signing = signing_key_from_pem(pem.encode())
    id_token = None
    if signing.algorithm != "RS256" and rsa_pem is not None:
        id_token = signing_key_from_pem(rsa_pem.encode())
    return PyJWTProviderTokens(issuer=issuer, signing=signing, id_token=id_token)


def derived_key(settings: Settings, purpose: bytes) -> bytes:
    """A key of its own for ``purpose``, derived from the signing secret, so every instance
    shares it and it changes when that secret does."""
    if settings.signin.jwt_private_key:
        material = settings.signin.jwt_private_key.get_secret_value().encode()
    elif settings.signin.jwt_secret is not None:
        material = settings.signin.jwt_secret.get_secret_value().encode()
    else:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return hmac.new(material, b"firegate " + purpose, hashlib.sha256).digest()


def configured_providers(settings: Settings, stored: UpstreamProviders) -> UpstreamProviders:
    """The stored providers, and in the local profile those UPSTREAM_PROVIDERS names, their
    secrets sealed as stored ones are (docs/reference/providers.md)."""
    if not settings.federation.upstream_providers:
        return stored
    from datetime import UTC, datetime

    from domain.federation.upstream import UpstreamProvider

    box, now = secret_box(settings), datetime.now(UTC)
    configured = []
    for fields in settings.federation.upstream_providers:
        given = {name.replace("-", "_"): value for name, value in fields.items()}
        secret, unknown = given.get("client_secret", ""), set(given) - _PROVIDER_FIELDS
        if unknown:
            raise ValueError(f"UPSTREAM_PROVIDERS: unknown fields {sorted(unknown)}")
        try:
            provider = UpstreamProvider.configure(
                id=given.get("id", ""),
                client_id=given.get("client_id", ""),
                client_secret=secret,
                sealed_secret=box.seal(secret),
                now=now,
                **{k: v for k, v in given.items() if k not in _GIVEN_APART},
            )
        except InvalidInput as exc:
            problems = "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or exc.detail
            raise ValueError(f"UPSTREAM_PROVIDERS, {given.get('id')!r}: {problems}") from None
        configured.append(provider)
    return WithConfigured(stored, tuple(configured))


_GIVEN_APART = frozenset({"id", "client_id", "client_secret"})
_PROVIDER_FIELDS = _GIVEN_APART | {"issuer", "name", "scope", "preset", "team_id", "key_id"}


def upstream_client() -> UpstreamClient:
    from infrastructure.federation.upstream_oidc import AuthlibUpstreamClient

    return AuthlibUpstreamClient()


def secret_box(settings: Settings) -> SecretBox:
    from infrastructure.signin.secret_box import FernetSecretBox

    if settings.signin.mfa_encryption_key is None:  # the settings validator guarantees one
        raise ValueError("MFA_ENCRYPTION_KEY is required")
    return FernetSecretBox(settings.signin.mfa_encryption_key.get_secret_value())


def token_issuer(settings: Settings) -> PyJWTTokenIssuer:
    from infrastructure.signin.jwt_tokens import PyJWTTokenIssuer, public_key_from_pem

    return PyJWTTokenIssuer(
        signing=signing_key(settings),
        issuer=settings.signin.jwt_issuer,
        audience=settings.signin.jwt_audience,
        ttl=timedelta(seconds=settings.signin.access_token_ttl),
        leeway=settings.signin.jwt_leeway,
        previous_public_key=(
            public_key_from_pem(settings.signin.jwt_previous_public_key.encode())
            if settings.signin.jwt_previous_public_key
            else None
        ),
    )


def passkey_ceremonies(settings: Settings) -> PasskeyCeremonies:
    from infrastructure.signin.webauthn_ceremonies import WebAuthnCeremonies

    return WebAuthnCeremonies(
        rp_id=settings.signin.webauthn_rp_id,
        rp_name=settings.signin.webauthn_rp_name,
        origins=settings.signin.webauthn_origins,
    )


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


def firebase_identity_verifier(settings: Settings) -> IdentityVerifier:
    from infrastructure.federation.firebase_identity import FirebaseIdentityVerifier

    return FirebaseIdentityVerifier(
        project=settings.service.google_cloud_project, clock_skew_seconds=settings.signin.jwt_leeway
    )


def firebase_custom_tokens(settings: Settings) -> CustomTokenMinter:
    from infrastructure.federation.firebase_identity import FirebaseCustomTokens

    return FirebaseCustomTokens(project=settings.service.google_cloud_project)


def picture_source(settings: Settings) -> PictureSource:
    from infrastructure.resources.dog_ceo import DogCeoPictureSource

    return DogCeoPictureSource(
        settings.resources.dog_api_url,
        allowed_hosts=settings.resources.dog_image_hosts,
        connect_timeout=min(3.0, settings.resources.dog_api_timeout),
        read_timeout=settings.resources.dog_api_timeout,
        deadline=2 * settings.resources.dog_api_timeout,
    )


def file_store(settings: Settings) -> FileStore:
    from infrastructure.resources.gcs_storage import GcsFileStore

    return GcsFileStore(
        settings.resources.storage_bucket,
        project=settings.service.google_cloud_project,
        create_bucket=settings.service.app_profile == "local",
    )


def push_verifier(settings: Settings) -> PushVerifier:
    from infrastructure.jobs.oidc import GooglePushVerifier

    return GooglePushVerifier(
        audience=settings.jobs.job_push_audience,
        service_account=settings.jobs.job_push_service_account,
    )


def mail_renderer(settings: Settings) -> MailRenderer:
    from infrastructure.mail.render import JinjaMailRenderer
    from interfaces.web import TRANSLATIONS

    return JinjaMailRenderer(settings.mail.mail_templates_dir, str(TRANSLATIONS))


def one_time_passwords() -> OneTimePasswords:
    from infrastructure.signin.one_time_passwords import PyotpOneTimePasswords

    return PyotpOneTimePasswords()


def mailer(settings: Settings) -> Mailer:
    from infrastructure.mail.smtp import SmtpMailer

    return SmtpMailer(
        settings.mail.smtp_url.get_secret_value(),
        sender=settings.mail.mail_from,
        timeout=settings.mail.smtp_timeout,
    )
