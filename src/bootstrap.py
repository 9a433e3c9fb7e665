"""The composition root: settings -> adapters -> use cases -> Flask app."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import Flask

from application import accounts
from application.accounts import TokenPolicy
from infrastructure.argon2_hasher import Argon2PasswordHasher
from infrastructure.clock import SystemClock
from infrastructure.firestore.client import make_client
from infrastructure.firestore.sessions import FirestoreSessionRepository
from infrastructure.firestore.users import FirestorePrincipals, FirestoreUserRepository
from infrastructure.jwt_tokens import PyJWTTokenIssuer, SigningKey
from infrastructure.settings import Settings
from interfaces.cli import install_cli
from interfaces.http.app import HttpConfig, create_app
from interfaces.http.logs import configure_logging
from interfaces.http.services import Services

log = logging.getLogger("firegate")


def signing_key(settings: Settings) -> SigningKey:
    if settings.jwt_private_key:
        pem = settings.jwt_private_key.get_secret_value().encode()
        key = load_pem_private_key(pem, password=None)  # loaded once: signing per call is slow
        algorithm = "ES256" if type(key).__name__.startswith("_EllipticCurve") else "RS256"
        return SigningKey(algorithm=algorithm, key=key, kid=None)
    if settings.jwt_secret is None:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return SigningKey(algorithm="HS256", key=settings.jwt_secret.get_secret_value().encode())


def build_services(settings: Settings, **overrides: Any) -> Services:
    """Adapters from settings (or the given overrides, for tests) bound to the use cases."""
    client = None

    def firestore() -> Any:
        nonlocal client
        if client is None:
            client = overrides.get("client") or make_client(settings.google_cloud_project)
        return client

    users = overrides.get("users") or FirestoreUserRepository(firestore())
    sessions = overrides.get("sessions") or FirestoreSessionRepository(firestore())
    principals = overrides.get("principals") or FirestorePrincipals(firestore())
    clock = overrides.get("clock") or SystemClock()
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
    )
    policy = TokenPolicy(
        access_ttl=timedelta(seconds=settings.access_token_ttl),
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl),
        session_lifetime=timedelta(seconds=settings.session_lifetime),
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
        ),
        authenticate=partial(
            accounts.authenticate, tokens=tokens, principals=principals, clock=clock
        ),
        get_user=partial(accounts.get_user, users=users),
        update_profile=partial(accounts.update_profile, users=users, clock=clock),
        change_password=partial(accounts.change_password, users=users, hasher=hasher, clock=clock),
        delete_user=partial(accounts.delete_user, users=users, clock=clock),
        resume_deletions=partial(accounts.resume_deletions, users=users),
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
        ),
    )
    install_cli(app)
    return app
