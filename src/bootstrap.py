"""The composition root: settings -> adapters -> use cases -> Flask app."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from flask import Flask

from application import accounts, admin
from application import sessions as session_cases
from application.accounts import TokenPolicy
from application.firebase import firebase_sign_in
from domain.throttling import LoginThrottlePolicy, ThrottleRule
from infrastructure.argon2_hasher import Argon2PasswordHasher
from infrastructure.audit import LoggingAuditLog
from infrastructure.clock import SystemClock
from infrastructure.firebase_identity import FirebaseIdentityVerifier
from infrastructure.firestore.client import make_client
from infrastructure.firestore.identities import FirestoreIdentityRepository
from infrastructure.firestore.login_failures import FirestoreLoginThrottle
from infrastructure.firestore.sessions import FirestoreSessionRepository
from infrastructure.firestore.users import FirestorePrincipals, FirestoreUserRepository
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
    return Services(
        register=partial(accounts.register, users=users, hasher=hasher, clock=clock),
        login=partial(
            accounts.login,
            users=users,
            sessions=sessions,
            hasher=hasher,
            tokens=tokens,
            clock=clock,
            policy=policy,
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
            accounts.authenticate, tokens=tokens, principals=principals, clock=clock
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
        ),
    )
    install_cli(app)
    return app
