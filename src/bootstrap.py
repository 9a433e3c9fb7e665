"""The composition root: settings -> adapters -> use cases -> Flask app."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Flask

from application import accounts, admin, authentication
from application import datasets as dataset_cases
from application import dogs as dog_cases
from application import email as email_cases
from application import files as file_cases
from application import jobs as job_cases
from application import login as login_cases
from application import passkeys as passkey_cases
from application import sessions as session_cases
from application import tasks as task_cases
from application import totp as totp_cases
from application.accounts import UserRepository
from application.authentication import Principals
from application.csv_input import CsvLimits
from application.datasets import DatasetLimits, DatasetRepository, OwnedDatasets
from application.dogs import FETCH_DOG_PICTURE, DogRepository, PictureSource
from application.email import FIND_RESET_ACCOUNT, SEND_MAIL, ActionTokenRepository, MailSettings
from application.files import FileRepository, OwnedFiles
from application.firebase import IdentityRepository, firebase_sign_in
from application.jobs import JobHandler, PushPolicy
from application.login import LoginLookup, LoginThrottle
from application.mfa import MfaRepository
from application.passkeys import ChallengeRepository, PasskeyRepository
from application.ports import (
    AuditLog,
    Clock,
    FileStore,
    IdentityVerifier,
    JobQueue,
    Mailer,
    MailRenderer,
    OneTimePasswords,
    OwnedData,
    PasskeyCeremonies,
    PasswordHasher,
    PushVerifier,
    RequestCounter,
    SecretBox,
    TokenIssuer,
)
from application.sessions import SessionRepository
from application.tasks import TaskRepository
from application.tokens import TokenPolicy
from domain.devices import DevicePolicy
from domain.throttling import LoginThrottlePolicy, ThrottleRule
from infrastructure.settings import Settings
from interfaces.cli import install_cli
from interfaces.http.app import HttpConfig, create_app
from interfaces.http.limits import RateLimits
from interfaces.http.logs import configure_logging
from interfaces.http.services import LazyServices, Services

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from infrastructure.jwt_tokens import PyJWTTokenIssuer, SigningKey

# The adapters' modules import the cloud SDKs, most of a cold start. They are imported where
# the adapters are built, on first use (docs/benchmarks.md, "Cold start"); hence the
# function-level imports below.

log = logging.getLogger("firegate")
T = TypeVar("T")


def signing_key(settings: Settings) -> SigningKey:
    from infrastructure.jwt_tokens import SigningKey, signing_key_from_pem

    if settings.jwt_private_key:
        return signing_key_from_pem(settings.jwt_private_key.get_secret_value().encode())
    if settings.jwt_secret is None:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return SigningKey(algorithm="HS256", key=settings.jwt_secret.get_secret_value().encode())


def derived_key(settings: Settings, purpose: bytes) -> bytes:
    """A key of its own for ``purpose``, derived from the signing secret, so every instance
    shares it and it changes when that secret does."""
    if settings.jwt_private_key:
        material = settings.jwt_private_key.get_secret_value().encode()
    elif settings.jwt_secret is not None:
        material = settings.jwt_secret.get_secret_value().encode()
    else:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return hmac.new(material, b"firegate " + purpose, hashlib.sha256).digest()


def refresh_successor_key(settings: Settings) -> bytes:
    return derived_key(settings, b"refresh-token successor")


def refresh_generation_key(settings: Settings) -> bytes:
    return derived_key(settings, b"refresh-token generation")


def login_throttle_policy(settings: Settings) -> LoginThrottlePolicy:
    def rule(max_failures: int) -> ThrottleRule:
        return ThrottleRule(
            max_failures=max_failures,
            window=timedelta(seconds=settings.login_failure_window),
            backoff=timedelta(seconds=settings.login_backoff),
            max_backoff=timedelta(seconds=settings.login_backoff_max),
        )

    return LoginThrottlePolicy(
        per_account_ip=rule(settings.login_failures_per_account_ip),
        per_account=rule(settings.login_failures_per_account),
        per_ip=rule(settings.login_failures_per_ip),
    )


def rate_limits(settings: Settings) -> RateLimits:
    return RateLimits(
        enabled=settings.rate_limit_enabled,
        register=settings.rate_limit_register,
        login=settings.rate_limit_login,
        refresh=settings.rate_limit_refresh,
        firebase=settings.rate_limit_firebase,
        email_verify=settings.rate_limit_email_verify,
        password_forgot=settings.rate_limit_password_forgot,
        password_reset=settings.rate_limit_password_reset,
        passkeys=settings.rate_limit_passkeys,
    )


def push_token(settings: Settings) -> str:
    return settings.job_push_token.get_secret_value() if settings.job_push_token else ""


JobQueueFactory = Callable[[JobHandler], JobQueue]
"""Builds the queue, given what runs a job: the handlers exist only once use cases are bound."""


@dataclass(frozen=True)
class Adapters:
    """One adapter per port. Tests build it from fakes and swap fields with ``replace``."""

    users: UserRepository
    sessions: SessionRepository
    principals: Principals
    identities: IdentityRepository
    identity_verifier: IdentityVerifier
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
    challenges: ChallengeRepository
    ceremonies: PasskeyCeremonies
    factors: MfaRepository
    otp: OneTimePasswords
    secret_box: SecretBox


def secret_box(settings: Settings) -> SecretBox:
    from infrastructure.secret_box import FernetSecretBox

    if settings.mfa_encryption_key is None:  # the settings validator guarantees one
        raise ValueError("MFA_ENCRYPTION_KEY is required")
    return FernetSecretBox(settings.mfa_encryption_key.get_secret_value())


def token_issuer(settings: Settings) -> PyJWTTokenIssuer:
    from infrastructure.jwt_tokens import PyJWTTokenIssuer, public_key_from_pem

    return PyJWTTokenIssuer(
        signing=signing_key(settings),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(seconds=settings.access_token_ttl),
        leeway=settings.jwt_leeway,
        previous_public_key=(
            public_key_from_pem(settings.jwt_previous_public_key.encode())
            if settings.jwt_previous_public_key
            else None
        ),
    )


def passkey_ceremonies(settings: Settings) -> PasskeyCeremonies:
    from infrastructure.webauthn_ceremonies import WebAuthnCeremonies

    return WebAuthnCeremonies(
        rp_id=settings.webauthn_rp_id,
        rp_name=settings.webauthn_rp_name,
        origins=settings.webauthn_origins,
    )


def job_queue_factory(settings: Settings) -> JobQueueFactory:
    """JOB_QUEUE: a worker pool in this process, or Pub/Sub pushing to /internal/jobs."""
    from infrastructure.jobs.inprocess import InProcessJobQueue

    if settings.job_queue == "pubsub":
        from infrastructure.jobs.pubsub import (
            PubSubJobQueue,
            PubSubSetup,
            ensure_pubsub_resources,
        )

        def pubsub(run: JobHandler) -> JobQueue:  # Pub/Sub pushes jobs to receive_push
            if settings.pubsub_setup:
                ensure_pubsub_resources(
                    PubSubSetup(
                        project=settings.google_cloud_project,
                        topic=settings.pubsub_topic,
                        subscription=settings.pubsub_subscription,
                        dead_letter_topic=settings.pubsub_dead_letter_topic,
                        dead_letter_subscription=settings.pubsub_dead_letter_subscription,
                        push_endpoint=settings.job_push_endpoint,
                        push_token=push_token(settings),
                        oidc_service_account=settings.job_push_service_account,
                        oidc_audience=settings.job_push_audience,
                        max_attempts=settings.job_max_attempts,
                        min_backoff=settings.job_backoff,
                        max_backoff=settings.job_backoff_max,
                    )
                )
            return PubSubJobQueue(settings.google_cloud_project, settings.pubsub_topic)

        return pubsub

    def inprocess(run: JobHandler) -> JobQueue:
        return InProcessJobQueue(
            run,
            workers=settings.job_workers,
            max_pending=settings.job_queue_size,
            max_attempts=settings.job_max_attempts,
            backoff=settings.job_backoff,
            max_backoff=settings.job_backoff_max,
        )

    return inprocess


def push_oidc(settings: Settings) -> bool:
    return bool(settings.job_push_audience and settings.job_push_service_account)


def request_counter(settings: Settings, client: Client) -> RequestCounter:
    """RATE_LIMIT_STORAGE_URI: Firestore (the default), Redis, or each process's memory. A
    shared store that fails is stood in for by memory meanwhile (docs/operations.md)."""
    from infrastructure.request_counts import FallbackRequestCounter, InMemoryRequestCounter

    uri = settings.rate_limit_storage_uri.get_secret_value()
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


class _Deferred:
    """An adapter made on its first use, by whichever thread gets there first."""

    def __init__(self, make: Callable[[], object]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: object | None = None

    def __getattr__(self, name: str) -> Any:
        made = self._made
        if made is None:
            with self._lock:
                if self._made is None:
                    self._made = self._make()
                made = self._made
        return getattr(made, name)


def deferred(make: Callable[[Settings], T], settings: Settings) -> T:
    """The adapter ``make`` builds, built when first used: adapters off the common path keep
    their SDKs (firebase-admin, Cloud Storage, requests, Jinja2) out of a cold start."""
    return cast(T, _Deferred(partial(make, settings)))


def firebase_identity_verifier(settings: Settings) -> IdentityVerifier:
    from infrastructure.firebase_identity import FirebaseIdentityVerifier

    return FirebaseIdentityVerifier(
        project=settings.google_cloud_project, clock_skew_seconds=settings.jwt_leeway
    )


def picture_source(settings: Settings) -> PictureSource:
    from infrastructure.dog_ceo import DogCeoPictureSource

    return DogCeoPictureSource(
        settings.dog_api_url,
        allowed_hosts=settings.dog_image_hosts,
        connect_timeout=min(3.0, settings.dog_api_timeout),
        read_timeout=settings.dog_api_timeout,
        deadline=2 * settings.dog_api_timeout,
    )


def file_store(settings: Settings) -> FileStore:
    from infrastructure.gcs_storage import GcsFileStore

    return GcsFileStore(
        settings.storage_bucket,
        project=settings.google_cloud_project,
        create_bucket=settings.app_profile == "local",
    )


def push_verifier(settings: Settings) -> PushVerifier:
    from infrastructure.jobs.oidc import GooglePushVerifier

    return GooglePushVerifier(
        audience=settings.job_push_audience, service_account=settings.job_push_service_account
    )


def mail_renderer(settings: Settings) -> MailRenderer:
    from infrastructure.mail.render import JinjaMailRenderer

    return JinjaMailRenderer(settings.mail_templates_dir)


def one_time_passwords(settings: Settings) -> OneTimePasswords:
    from infrastructure.one_time_passwords import PyotpOneTimePasswords

    return PyotpOneTimePasswords()


def mailer(settings: Settings) -> Mailer:
    from infrastructure.mail.smtp import SmtpMailer

    return SmtpMailer(
        settings.smtp_url.get_secret_value(),
        sender=settings.mail_from,
        timeout=settings.smtp_timeout,
    )


def build_adapters(settings: Settings, *, firestore: Client | None = None) -> Adapters:
    """The production adapters. ``firestore`` shares one client (tests reuse theirs)."""
    from infrastructure.argon2_hasher import Argon2PasswordHasher
    from infrastructure.audit import LoggingAuditLog
    from infrastructure.clock import SystemClock
    from infrastructure.firestore.action_tokens import FirestoreActionTokenRepository
    from infrastructure.firestore.client import make_client
    from infrastructure.firestore.datasets import FirestoreDatasetRepository
    from infrastructure.firestore.dogs import FirestoreDogRepository
    from infrastructure.firestore.files import FirestoreFileRepository
    from infrastructure.firestore.identities import FirestoreIdentityRepository
    from infrastructure.firestore.login_failures import FirestoreLoginThrottle
    from infrastructure.firestore.mfa import FirestoreMfaRepository
    from infrastructure.firestore.passkeys import (
        FirestoreChallengeRepository,
        FirestorePasskeyRepository,
    )
    from infrastructure.firestore.sessions import FirestoreSessionRepository
    from infrastructure.firestore.tasks import FirestoreTaskRepository
    from infrastructure.firestore.users import (
        FirestoreLoginLookup,
        FirestorePrincipals,
        FirestoreUserRepository,
    )

    client = firestore or make_client(settings.google_cloud_project)
    throttle = FirestoreLoginThrottle(client)
    return Adapters(
        users=FirestoreUserRepository(client),
        sessions=FirestoreSessionRepository(client),
        principals=FirestorePrincipals(client),
        identities=FirestoreIdentityRepository(client),
        identity_verifier=deferred(firebase_identity_verifier, settings),
        login_lookup=FirestoreLoginLookup(client),
        throttle=throttle,
        hasher=Argon2PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            max_concurrent=settings.hash_concurrency,
        ),
        tokens=token_issuer(settings),
        clock=SystemClock(),
        audit=LoggingAuditLog(),
        ready=partial(_firestore_ready, client),
        tasks=FirestoreTaskRepository(client),
        dogs=FirestoreDogRepository(client),
        pictures=deferred(picture_source, settings),
        datasets=FirestoreDatasetRepository(client),
        files=FirestoreFileRepository(client),
        # Originals in Cloud Storage (the storage emulator locally); records and rows in Firestore.
        file_store=deferred(file_store, settings),
        job_queue=job_queue_factory(settings),
        push_verifier=deferred(push_verifier, settings) if push_oidc(settings) else None,
        request_counter=request_counter(settings, client),
        action_tokens=FirestoreActionTokenRepository(client),
        mail_renderer=deferred(mail_renderer, settings),
        mailer=deferred(mailer, settings),
        passkeys=FirestorePasskeyRepository(client),
        challenges=FirestoreChallengeRepository(client),
        ceremonies=deferred(passkey_ceremonies, settings),
        factors=FirestoreMfaRepository(client),
        otp=deferred(one_time_passwords, settings),
        secret_box=secret_box(settings),
    )


def bind(settings: Settings, adapters: Adapters) -> Services:
    """The use cases, bound to ``adapters`` and to the policies ``settings`` choose."""
    a = adapters
    policy = TokenPolicy(
        access_ttl=timedelta(seconds=settings.access_token_ttl),
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl),
        session_lifetime=timedelta(seconds=settings.session_lifetime),
        refresh_grace=timedelta(seconds=settings.refresh_grace_seconds),
        successor_key=refresh_successor_key(settings),
        generation_key=refresh_generation_key(settings),
    )
    # What each resource module owns per user, deleted with the account.
    owned: list[OwnedData] = [
        OwnedDatasets(a.datasets, a.file_store),
        OwnedFiles(a.files, a.file_store),
        a.tasks,
        a.dogs,
        a.passkeys,
        a.factors,
    ]
    dataset_limits = DatasetLimits(
        max_upload_bytes=settings.max_upload_bytes,
        csv=CsvLimits(
            max_rows=settings.max_dataset_rows,
            max_columns=settings.max_dataset_columns,
            max_field_chars=settings.csv_max_field_chars,
        ),
    )
    job_handlers: dict[str, JobHandler] = {
        FETCH_DOG_PICTURE: partial(
            dog_cases.fetch_picture, dogs=a.dogs, pictures=a.pictures, clock=a.clock
        ),
        SEND_MAIL: partial(
            email_cases.send_mail,
            users=a.users,
            action_tokens=a.action_tokens,
            renderer=a.mail_renderer,
            mailer=a.mailer,
            clock=a.clock,
            audit=a.audit,
            settings=MailSettings(public_url=settings.public_url),
        ),
    }
    job_queue = a.job_queue(partial(job_cases.run_job, handlers=job_handlers))
    # This job queues the reset mail itself, so it needs the queue its handlers run on.
    job_handlers[FIND_RESET_ACCOUNT] = partial(
        email_cases.find_reset_account, users=a.users, queue=job_queue, audit=a.audit
    )
    throttle_policy = login_throttle_policy(settings)
    devices = DevicePolicy(key=derived_key(settings, b"device token"))
    guard = totp_cases.Guard(
        users=a.users,
        hasher=a.hasher,
        clock=a.clock,
        throttle=a.throttle,
        throttle_policy=throttle_policy,
        audit=a.audit,
    )
    return Services(
        register=partial(
            email_cases.register_and_verify,
            register=partial(accounts.register, users=a.users, hasher=a.hasher, clock=a.clock),
            queue=job_queue,
        ),
        login=partial(
            login_cases.login,
            users=a.users,
            sessions=a.sessions,
            hasher=a.hasher,
            tokens=a.tokens,
            clock=a.clock,
            policy=policy,
            lookup=a.login_lookup,
            throttle=a.throttle,
            throttle_policy=throttle_policy,
            devices=devices,
            audit=a.audit,
            factors=a.factors,
            require_verified_email=settings.require_verified_email,
        ),
        finish_mfa_login=partial(
            login_cases.finish_mfa_login,
            users=a.users,
            sessions=a.sessions,
            tokens=a.tokens,
            clock=a.clock,
            policy=policy,
            throttle=a.throttle,
            throttle_policy=throttle_policy,
            devices=devices,
            audit=a.audit,
            factors=a.factors,
            otp=a.otp,
            box=a.secret_box,
        ),
        start_totp=partial(
            totp_cases.start_totp,
            guard=guard,
            issuer=settings.mfa_issuer,
            factors=a.factors,
            otp=a.otp,
            box=a.secret_box,
        ),
        confirm_totp=partial(
            totp_cases.confirm_totp, guard=guard, factors=a.factors, otp=a.otp, box=a.secret_box
        ),
        disable_totp=partial(
            totp_cases.disable_totp, guard=guard, factors=a.factors, otp=a.otp, box=a.secret_box
        ),
        new_recovery_codes=partial(
            totp_cases.new_recovery_code_set,
            guard=guard,
            factors=a.factors,
            otp=a.otp,
            box=a.secret_box,
        ),
        reset_mfa=partial(
            totp_cases.reset_mfa,
            users=a.users,
            factors=a.factors,
            passkeys=a.passkeys,
            clock=a.clock,
            audit=a.audit,
        ),
        firebase_sign_in=partial(
            firebase_sign_in,
            verifier=a.identity_verifier,
            identities=a.identities,
            users=a.users,
            sessions=a.sessions,
            tokens=a.tokens,
            clock=a.clock,
            policy=policy,
            audit=a.audit,
            factors=a.factors,
        ),
        authenticate=partial(
            authentication.authenticate, tokens=a.tokens, principals=a.principals, clock=a.clock
        ),
        get_user=partial(accounts.get_user, users=a.users),
        update_profile=partial(
            accounts.update_profile,
            users=a.users,
            clock=a.clock,
            changed=partial(email_cases.mail_after_profile_change, queue=job_queue, audit=a.audit),
        ),
        request_verification=partial(
            email_cases.request_verification, users=a.users, queue=job_queue, audit=a.audit
        ),
        verify_email=partial(
            email_cases.verify_email, action_tokens=a.action_tokens, clock=a.clock, audit=a.audit
        ),
        forgot_password=partial(email_cases.forgot_password, queue=job_queue),
        reset_password=partial(
            email_cases.reset_password,
            action_tokens=a.action_tokens,
            hasher=a.hasher,
            throttle=a.throttle,
            throttle_policy=throttle_policy,
            clock=a.clock,
            audit=a.audit,
        ),
        invite_user=partial(
            email_cases.invite_user, users=a.users, queue=job_queue, clock=a.clock, audit=a.audit
        ),
        change_password=partial(
            login_cases.change_password,
            users=a.users,
            hasher=a.hasher,
            clock=a.clock,
            throttle=a.throttle,
            throttle_policy=login_throttle_policy(settings),
        ),
        delete_user=partial(
            accounts.delete_user, users=a.users, clock=a.clock, audit=a.audit, owned=owned
        ),
        resume_deletions=partial(accounts.resume_deletions, users=a.users, owned=owned),
        refresh=partial(
            session_cases.refresh,
            users=a.users,
            sessions=a.sessions,
            tokens=a.tokens,
            clock=a.clock,
            policy=policy,
            audit=a.audit,
        ),
        renew=partial(session_cases.renew, sessions=a.sessions, tokens=a.tokens, clock=a.clock),
        logout=partial(
            session_cases.logout, users=a.users, sessions=a.sessions, clock=a.clock, audit=a.audit
        ),
        list_sessions=partial(
            session_cases.list_sessions,
            users=a.users,
            sessions=a.sessions,
            clock=a.clock,
            policy=policy,
        ),
        end_session=partial(session_cases.end_session, sessions=a.sessions),
        jwks=a.tokens.jwks,
        list_users=partial(admin.list_users, users=a.users),
        show_user=partial(admin.show_user, users=a.users),
        change_user=partial(admin.change_user, users=a.users, clock=a.clock, audit=a.audit),
        remove_user=partial(
            admin.remove_user, users=a.users, clock=a.clock, audit=a.audit, owned=owned
        ),
        set_role=partial(admin.set_role_by_username, users=a.users, clock=a.clock, audit=a.audit),
        set_disabled=partial(
            admin.set_disabled_by_username, users=a.users, clock=a.clock, audit=a.audit
        ),
        ready=a.ready,
        request_counter=a.request_counter,
        import_dataset=partial(
            dataset_cases.import_dataset,
            datasets=a.datasets,
            store=a.file_store,
            clock=a.clock,
            limits=dataset_limits,
        ),
        list_datasets=partial(dataset_cases.list_datasets, datasets=a.datasets),
        show_dataset=partial(dataset_cases.show_dataset, datasets=a.datasets),
        dataset_rows=partial(dataset_cases.dataset_rows, datasets=a.datasets),
        export_dataset=partial(dataset_cases.export_csv, datasets=a.datasets),
        delete_dataset=partial(
            dataset_cases.delete_dataset, datasets=a.datasets, store=a.file_store
        ),
        upload_file=partial(
            file_cases.upload_file,
            files=a.files,
            store=a.file_store,
            clock=a.clock,
            max_bytes=settings.max_upload_bytes,
        ),
        open_file=partial(file_cases.open_file, files=a.files, store=a.file_store),
        delete_file=partial(file_cases.delete_file, files=a.files, store=a.file_store),
        create_task=partial(task_cases.create_task, tasks=a.tasks, clock=a.clock),
        list_tasks=partial(task_cases.list_tasks, tasks=a.tasks),
        get_task=partial(task_cases.get_task, tasks=a.tasks),
        edit_task=partial(task_cases.edit_task, tasks=a.tasks, clock=a.clock),
        delete_task=partial(task_cases.delete_task, tasks=a.tasks),
        list_dogs=partial(dog_cases.list_dogs, dogs=a.dogs),
        get_dog=partial(dog_cases.get_dog, dogs=a.dogs),
        create_dog=partial(dog_cases.create_dog, dogs=a.dogs, queue=job_queue, clock=a.clock),
        edit_dog=partial(dog_cases.edit_dog, dogs=a.dogs, clock=a.clock),
        delete_dog=partial(dog_cases.delete_dog, dogs=a.dogs),
        authorize_push=partial(
            job_cases.authorize_push,
            policy=PushPolicy(shared_token=push_token(settings), oidc=push_oidc(settings)),
            verifier=a.push_verifier,
        ),
        passkey_registration_options=partial(
            passkey_cases.registration_options,
            users=a.users,
            passkeys=a.passkeys,
            challenges=a.challenges,
            ceremonies=a.ceremonies,
            clock=a.clock,
        ),
        register_passkey=partial(
            passkey_cases.register_passkey,
            users=a.users,
            passkeys=a.passkeys,
            challenges=a.challenges,
            ceremonies=a.ceremonies,
            clock=a.clock,
            audit=a.audit,
        ),
        list_passkeys=partial(passkey_cases.list_passkeys, passkeys=a.passkeys),
        delete_passkey=partial(passkey_cases.delete_passkey, passkeys=a.passkeys, audit=a.audit),
        passkey_authentication_options=partial(
            passkey_cases.authentication_options,
            challenges=a.challenges,
            ceremonies=a.ceremonies,
            clock=a.clock,
        ),
        passkey_sign_in=partial(
            passkey_cases.passkey_sign_in,
            users=a.users,
            passkeys=a.passkeys,
            challenges=a.challenges,
            ceremonies=a.ceremonies,
            sessions=a.sessions,
            tokens=a.tokens,
            clock=a.clock,
            policy=policy,
            audit=a.audit,
        ),
        receive_push=partial(
            job_cases.receive_push,
            handlers=job_handlers,
            max_attempts=settings.job_max_attempts,
        ),
    )


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


def build_app(
    settings: Settings | None = None,
    adapters: Adapters | None = None,
    *,
    configure_logs: bool = True,
    fail_fast: bool = False,
) -> Flask:
    """The service: ``adapters`` default to the production ones that ``settings`` name.

    Those are built on first use, and meanwhile on a background thread, so the process
    answers /healthz before the cloud SDKs are imported (docs/benchmarks.md, "Cold start").
    Call it after a fork, never before (gunicorn does: no ``preload_app``). ``fail_fast``:
    if those adapters cannot be built, the process exits as gunicorn's failed boot."""
    settings = settings or Settings()
    if configure_logs:
        configure_logging(settings.log_level)
    services: Services | LazyServices
    if adapters is not None:
        services = bind(settings, adapters)
    else:
        production = settings
        services = LazyServices(lambda: bind(production, build_adapters(production)))
        services.warm_up(fatal=fail_fast)
    app = create_app(
        services,
        HttpConfig(
            project=settings.google_cloud_project,
            max_json_bytes=settings.max_json_bytes,
            cors_origins=tuple(settings.cors_origins),
            trusted_proxy_hops=settings.trusted_proxy_hops,
            production=settings.app_profile == "production",
            rate_limits=rate_limits(settings),
            max_upload_bytes=settings.max_upload_bytes,
            compat_routes=settings.compat_routes,
        ),
    )
    install_cli(app)
    return app
