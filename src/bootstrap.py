"""The composition root: settings -> adapters -> use cases -> Flask app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from flask import Flask

from application import accounts, admin, authentication
from application import datasets as dataset_cases
from application import dogs as dog_cases
from application import files as file_cases
from application import jobs as job_cases
from application import login as login_cases
from application import sessions as session_cases
from application import tasks as task_cases
from application.csv_input import CsvLimits
from application.datasets import DatasetLimits, OwnedDatasets
from application.dogs import FETCH_DOG_PICTURE
from application.files import OwnedFiles
from application.firebase import firebase_sign_in
from application.jobs import PushPolicy
from application.ports import Job
from application.tokens import TokenPolicy
from domain.throttling import LoginThrottlePolicy, ThrottleRule
from infrastructure.argon2_hasher import Argon2PasswordHasher
from infrastructure.audit import LoggingAuditLog
from infrastructure.clock import SystemClock
from infrastructure.dog_ceo import DogCeoPictureSource
from infrastructure.firebase_identity import FirebaseIdentityVerifier
from infrastructure.firestore.client import make_client
from infrastructure.firestore.datasets import FirestoreDatasetRepository
from infrastructure.firestore.dogs import FirestoreDogRepository
from infrastructure.firestore.files import FirestoreFileRepository
from infrastructure.firestore.identities import FirestoreIdentityRepository
from infrastructure.firestore.login_failures import FirestoreLoginThrottle
from infrastructure.firestore.sessions import FirestoreSessionRepository
from infrastructure.firestore.tasks import FirestoreTaskRepository
from infrastructure.firestore.users import (
    FirestoreLoginLookup,
    FirestorePrincipals,
    FirestoreUserRepository,
)
from infrastructure.gcs_storage import GcsFileStore
from infrastructure.jobs.inprocess import InProcessJobQueue
from infrastructure.jobs.oidc import GooglePushVerifier
from infrastructure.jobs.pubsub import PubSubJobQueue, PubSubSetup, ensure_pubsub_resources
from infrastructure.jwt_tokens import (
    PyJWTTokenIssuer,
    SigningKey,
    public_key_from_pem,
    signing_key_from_pem,
)
from infrastructure.settings import Settings
from interfaces.cli import install_cli
from interfaces.http.app import HttpConfig, create_app
from interfaces.http.limits import RateLimits
from interfaces.http.logs import configure_logging
from interfaces.http.services import Services

log = logging.getLogger("firegate")


def signing_key(settings: Settings) -> SigningKey:
    if settings.jwt_private_key:
        return signing_key_from_pem(settings.jwt_private_key.get_secret_value().encode())
    if settings.jwt_secret is None:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return SigningKey(algorithm="HS256", key=settings.jwt_secret.get_secret_value().encode())


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
        storage_uri=settings.rate_limit_storage_uri.get_secret_value(),
        register=settings.rate_limit_register,
        login=settings.rate_limit_login,
        refresh=settings.rate_limit_refresh,
        firebase=settings.rate_limit_firebase,
    )


def push_token(settings: Settings) -> str:
    return settings.job_push_token.get_secret_value() if settings.job_push_token else ""


def make_job_queue(settings: Settings, run: Callable[[Job, bool], None]) -> Any:
    """JOB_QUEUE: a worker pool in this process, or Pub/Sub pushing to /internal/jobs."""
    if settings.job_queue == "pubsub":
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
    return InProcessJobQueue(
        run,
        workers=settings.job_workers,
        max_pending=settings.job_queue_size,
        max_attempts=settings.job_max_attempts,
        backoff=settings.job_backoff,
        max_backoff=settings.job_backoff_max,
    )


def build_services(settings: Settings, **overrides: Any) -> Services:
    """Adapters from settings (or the given overrides, for tests) bound to the use cases."""
    client = None

    def firestore() -> Any:
        nonlocal client
        if client is None:
            client = overrides.get("client") or make_client(settings.google_cloud_project)
        return client

    users = overrides.get("users") or FirestoreUserRepository(firestore())
    # What each resource module owns per user, deleted with the account (OwnedData port).
    owned: list[Any] = list(overrides.get("owned", ()))
    sessions = overrides.get("sessions") or FirestoreSessionRepository(firestore())
    principals = overrides.get("principals") or FirestorePrincipals(firestore())
    identities = overrides.get("identities") or FirestoreIdentityRepository(firestore())
    identity_verifier = overrides.get("identity_verifier") or FirebaseIdentityVerifier(
        project=settings.google_cloud_project, clock_skew_seconds=settings.jwt_leeway
    )
    clock = overrides.get("clock") or SystemClock()
    throttle = overrides.get("throttle") or FirestoreLoginThrottle(firestore())
    login_lookup = overrides.get("login_lookup") or FirestoreLoginLookup(firestore())
    audit = overrides.get("audit") or LoggingAuditLog()
    hasher = overrides.get("hasher") or Argon2PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        max_concurrent=settings.hash_concurrency,
    )
    tokens = overrides.get("tokens") or PyJWTTokenIssuer(
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
    policy = TokenPolicy(
        access_ttl=timedelta(seconds=settings.access_token_ttl),
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl),
        session_lifetime=timedelta(seconds=settings.session_lifetime),
        refresh_grace=timedelta(seconds=settings.refresh_grace_seconds),
    )
    ready = overrides.get("ready") or partial(_firestore_ready, firestore)
    # Datasets and files (SPEC §8): records and rows in Firestore, bytes in Cloud Storage.
    file_store = overrides.get("file_store") or GcsFileStore(
        settings.storage_bucket,
        project=settings.google_cloud_project,
        create_bucket=settings.app_profile == "local",
    )
    datasets = overrides.get("datasets") or FirestoreDatasetRepository(firestore())
    stored_files = overrides.get("files") or FirestoreFileRepository(firestore())
    owned += [OwnedDatasets(datasets, file_store), OwnedFiles(stored_files, file_store)]
    dataset_limits = DatasetLimits(
        max_upload_bytes=settings.max_upload_bytes,
        csv=CsvLimits(
            max_rows=settings.max_dataset_rows,
            max_columns=settings.max_dataset_columns,
            max_field_chars=settings.csv_max_field_chars,
        ),
    )
    # Resource modules: tasks, dogs (their pictures come from background jobs).
    tasks = overrides.get("tasks") or FirestoreTaskRepository(firestore())
    dogs = overrides.get("dogs") or FirestoreDogRepository(firestore())
    owned += [tasks, dogs]
    pictures = overrides.get("pictures") or DogCeoPictureSource(
        settings.dog_api_url,
        allowed_hosts=settings.dog_image_hosts,
        connect_timeout=min(3.0, settings.dog_api_timeout),
        read_timeout=settings.dog_api_timeout,
        deadline=2 * settings.dog_api_timeout,
    )
    job_handlers = {
        FETCH_DOG_PICTURE: partial(
            dog_cases.fetch_picture, dogs=dogs, pictures=pictures, clock=clock
        )
    }
    job_queue = overrides.get("job_queue") or make_job_queue(
        settings, partial(job_cases.run_job, handlers=job_handlers)
    )
    oidc = bool(settings.job_push_audience and settings.job_push_service_account)
    push_verifier = overrides.get("push_verifier") or (
        GooglePushVerifier(
            audience=settings.job_push_audience,
            service_account=settings.job_push_service_account,
        )
        if oidc
        else None
    )
    return Services(
        register=partial(accounts.register, users=users, hasher=hasher, clock=clock),
        login=partial(
            login_cases.login,
            users=users,
            sessions=sessions,
            hasher=hasher,
            tokens=tokens,
            clock=clock,
            policy=policy,
            lookup=login_lookup,
            throttle=throttle,
            throttle_policy=login_throttle_policy(settings),
            audit=audit,
        ),
        firebase_sign_in=partial(
            firebase_sign_in,
            verifier=identity_verifier,
            identities=identities,
            sessions=sessions,
            tokens=tokens,
            clock=clock,
            policy=policy,
            audit=audit,
        ),
        authenticate=partial(
            authentication.authenticate, tokens=tokens, principals=principals, clock=clock
        ),
        get_user=partial(accounts.get_user, users=users),
        update_profile=partial(accounts.update_profile, users=users, clock=clock),
        change_password=partial(accounts.change_password, users=users, hasher=hasher, clock=clock),
        delete_user=partial(
            accounts.delete_user, users=users, clock=clock, audit=audit, owned=owned
        ),
        resume_deletions=partial(accounts.resume_deletions, users=users, owned=owned),
        refresh=partial(
            session_cases.refresh,
            users=users,
            sessions=sessions,
            tokens=tokens,
            clock=clock,
            policy=policy,
            audit=audit,
        ),
        renew=partial(session_cases.renew, sessions=sessions, tokens=tokens, clock=clock),
        logout=lambda actor, everywhere: session_cases.logout(
            actor,
            everywhere=everywhere,
            users=users,
            sessions=sessions,
            clock=clock,
            audit=audit,
        ),
        list_sessions=partial(
            session_cases.list_sessions,
            users=users,
            sessions=sessions,
            clock=clock,
            policy=policy,
        ),
        end_session=partial(session_cases.end_session, sessions=sessions),
        jwks=tokens.jwks,
        list_users=partial(admin.list_users, users=users),
        show_user=partial(admin.show_user, users=users),
        change_user=partial(admin.change_user, users=users, clock=clock, audit=audit),
        remove_user=partial(admin.remove_user, users=users, clock=clock, audit=audit, owned=owned),
        set_role=partial(admin.set_role_by_username, users=users, clock=clock, audit=audit),
        set_disabled=partial(admin.set_disabled_by_username, users=users, clock=clock, audit=audit),
        ready=ready,
        import_dataset=partial(
            dataset_cases.import_dataset,
            datasets=datasets,
            store=file_store,
            clock=clock,
            limits=dataset_limits,
        ),
        list_datasets=partial(dataset_cases.list_datasets, datasets=datasets),
        show_dataset=partial(dataset_cases.show_dataset, datasets=datasets),
        dataset_rows=partial(dataset_cases.dataset_rows, datasets=datasets),
        export_dataset=partial(dataset_cases.export_csv, datasets=datasets),
        delete_dataset=partial(dataset_cases.delete_dataset, datasets=datasets, store=file_store),
        upload_file=partial(
            file_cases.upload_file,
            files=stored_files,
            store=file_store,
            clock=clock,
            max_bytes=settings.max_upload_bytes,
        ),
        open_file=partial(file_cases.open_file, files=stored_files, store=file_store),
        delete_file=partial(file_cases.delete_file, files=stored_files, store=file_store),
        create_task=partial(task_cases.create_task, tasks=tasks, clock=clock),
        list_tasks=partial(task_cases.list_tasks, tasks=tasks),
        get_task=partial(task_cases.get_task, tasks=tasks),
        edit_task=partial(task_cases.edit_task, tasks=tasks, clock=clock),
        delete_task=partial(task_cases.delete_task, tasks=tasks),
        list_dogs=partial(dog_cases.list_dogs, dogs=dogs),
        get_dog=partial(dog_cases.get_dog, dogs=dogs),
        create_dog=partial(dog_cases.create_dog, dogs=dogs, queue=job_queue, clock=clock),
        edit_dog=partial(dog_cases.edit_dog, dogs=dogs, clock=clock),
        delete_dog=partial(dog_cases.delete_dog, dogs=dogs),
        authorize_push=partial(
            job_cases.authorize_push,
            policy=PushPolicy(shared_token=push_token(settings), oidc=oidc),
            verifier=push_verifier,
        ),
        receive_push=partial(
            job_cases.receive_push,
            handlers=job_handlers,
            max_attempts=settings.job_max_attempts,
        ),
    )


def _firestore_ready(firestore: Any) -> bool:
    try:
        firestore().collection("_health").document("ping").get(timeout=2.0, retry=None)
    except Exception:  # any failure means "not ready"; the probe must never raise
        log.warning("readiness check failed: Firestore did not answer")
        return False
    return True


def build_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or Settings()
    if not overrides.get("keep_logging"):
        configure_logging(settings.log_level)
    services = build_services(settings, **overrides)
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
        ),
    )
    install_cli(app)
    return app
