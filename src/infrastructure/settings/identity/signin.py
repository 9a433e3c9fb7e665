"""Signing in: firegate's own tokens and sessions, the failed-login throttle, the second
factor, passkeys and the mailed codes (docs/configuration.md, "Tokens and sessions", "Abuse
controls", "Passkeys", "E-mail"). The password hash is the accounts' (their hasher)."""

from __future__ import annotations

import base64
import logging
import secrets
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from domain.public_urls import loopback_host
from infrastructure.dev_secrets import new_fernet_key
from infrastructure.settings.group import Composition, Origins, RequestLimit, SettingsGroup

log = logging.getLogger(__name__)


class SignInSettings(SettingsGroup):
    jwt_secret: SecretStr | None = None
    jwt_private_key: SecretStr | None = None
    jwt_previous_public_key: str | None = None
    jwt_issuer: str = "firegate"
    jwt_audience: str = "firegate-api"
    jwt_leeway: int = Field(10, ge=0, le=30)
    access_token_ttl: int = Field(900, ge=60, le=86_400)
    refresh_token_ttl: int = Field(7 * 86_400, ge=300)
    session_lifetime: int = Field(30 * 86_400, ge=300)
    refresh_grace_seconds: int = Field(10, ge=0, le=10)
    # A session may add a way to sign in this long after its sign-in (docs/security.md).
    reauth_max_age: int = Field(600, ge=1, le=86_400)

    # Seals TOTP secrets at rest (a Fernet key: docs/security.md, "MFA").
    mfa_encryption_key: SecretStr | None = None
    mfa_issuer: str = Field("firegate", min_length=1, max_length=64)  # shown by authenticator apps

    rate_limit_login: RequestLimit = "30/minute,300/hour"
    rate_limit_refresh: RequestLimit = "60/minute,600/hour"
    rate_limit_passkeys: RequestLimit = "30/minute,300/hour"  # each of the two sign-in routes
    # Failed logins, counted in Firestore (seconds and counts).
    login_failure_window: int = Field(900, ge=60, le=86_400)
    login_failures_per_account_ip: int = Field(10, ge=1, le=1_000)
    login_failures_per_account: int = Field(100, ge=1, le=100_000)
    login_failures_per_ip: int = Field(50, ge=1, le=100_000)
    login_backoff: int = Field(60, ge=1, le=86_400)
    login_backoff_max: int = Field(900, ge=1, le=86_400)
    # Changes of password (and first passwords) per account (count, seconds).
    password_change_limit: int = Field(10, ge=1, le=1_000)
    password_change_window: int = Field(3600, ge=60, le=86_400)

    # Passkeys (docs/reference/passkeys.md): the relying party's id (a domain), its name as
    # authenticators show it, and the origins whose answers count. Unset: from PUBLIC_URL
    # (the local profile: localhost and http://localhost:$PORT).
    webauthn_rp_id: str = ""
    webauthn_rp_name: str = "firegate"
    webauthn_origins: Origins = []
    # Origins on other domains whose answers count too, listed at /.well-known/webauthn for
    # browsers' related origin requests (https; http on a loopback host in the local profile)
    webauthn_related_origins: Origins = []
    # How long after a sign-in by password or code the browser may make a passkey by itself
    # (seconds; docs/passkeys-upgraded.md); REAUTH_MAX_AGE when that is shorter, as any new
    # way in is added only within it.
    passkey_upgrade_window: int = Field(300, ge=1, le=86_400)

    # Sign-in (and sign-up) by a mailed code (docs/reference/email-code.md), and the code
    # requests per client address: a budget of their own, apart from password recovery's.
    # Sign-in's, which mail's flows and pages read too.
    passwordless_email: bool = True
    rate_limit_email_code: RequestLimit = "5/minute,50/hour"

    @model_validator(mode="after")
    def _check_backoff(self) -> SignInSettings:
        if self.login_backoff_max < self.login_backoff:
            raise ValueError("LOGIN_BACKOFF_MAX must not be shorter than LOGIN_BACKOFF")
        return self

    @model_validator(mode="after")
    def _check_passkey_origins(self) -> SignInSettings:
        # What is configured is checked; what follows PUBLIC_URL (``fill_in``) is taken as it
        # is.
        self.webauthn_origins = [origin.rstrip("/") for origin in self.webauthn_origins]
        rp_id = self.webauthn_rp_id.lower()
        for origin in self.webauthn_origins:
            url = urlsplit(origin)
            host = (url.hostname or "").lower()
            if url.scheme not in ("http", "https") or not host or url.path or url.query:
                raise ValueError(f"WEBAUTHN_ORIGINS: {origin!r} is not an origin")
            if rp_id and host != rp_id and not host.endswith("." + rp_id):
                raise ValueError(
                    f"WEBAUTHN_RP_ID {rp_id!r} must be the host of {origin!r} or a suffix of it"
                )
        # A related origin is on a domain of its own: any host, as an origin only.
        self.webauthn_related_origins = [
            origin.rstrip("/") for origin in self.webauthn_related_origins
        ]
        for origin in self.webauthn_related_origins:
            url = urlsplit(origin)
            if (
                url.scheme not in ("http", "https")
                or not url.hostname
                or url.path
                or url.query
                or url.fragment
                or url.username is not None
            ):
                raise ValueError(f"WEBAUTHN_RELATED_ORIGINS: {origin!r} is not an origin")
        return self

    def problems_beside(self, settings: Composition) -> list[str]:
        """The keys' problems in the service's profile, and, outside the local one, the
        passkey origins that are not https."""
        problems = self.problems(production=settings.service.app_profile == "production")
        if settings.service.app_profile != "local":
            for origin in self.webauthn_origins:
                url = urlsplit(origin)
                if url.scheme != "https" and (url.hostname or "").lower() != "localhost":
                    problems.append(f"WEBAUTHN_ORIGINS: {origin!r} must be https in production")
        local = settings.service.app_profile == "local"
        for origin in self.webauthn_related_origins:
            url = urlsplit(origin)
            if url.scheme != "https" and not (
                local and loopback_host((url.hostname or "").lower())
            ):
                problems.append(
                    f"WEBAUTHN_RELATED_ORIGINS: {origin!r} must be https "
                    "(http only on a loopback host in the local profile)"
                )
        return problems

    def fill_in(self, settings: Composition) -> None:
        """Outside production, the development secrets of those not set; the passkeys'
        relying party and origins from PUBLIC_URL when not set."""
        service = settings.service
        if service.app_profile != "production":
            self.use_development_secrets()
        # Browsers refuse WebAuthn on an IP-address origin, so the local default is
        # localhost, as PUBLIC_URL's is (docs/decisions/0121-passkey-configuration.md).
        if service.app_profile == "local":
            self.webauthn_rp_id = self.webauthn_rp_id or "localhost"
            self.webauthn_origins = self.webauthn_origins or [f"http://localhost:{service.port}"]
            return
        public = urlsplit(service.public_url)
        self.webauthn_rp_id = self.webauthn_rp_id or (public.hostname or "")
        self.webauthn_origins = self.webauthn_origins or [f"{public.scheme}://{public.netloc}"]

    def problems(self, *, production: bool) -> list[str]:
        """What is wrong with the keys; in production, also which are missing."""
        problems: list[str] = []
        secret = _text(self.jwt_secret)
        if secret and len(secret.encode()) < 32:
            problems.append("JWT_SECRET must be at least 32 bytes (try: openssl rand -hex 32)")
        mfa_key = _text(self.mfa_encryption_key)
        if mfa_key and not _fernet_key(mfa_key):
            problems.append(
                "MFA_ENCRYPTION_KEY must be a Fernet key: 32 bytes in url-safe base64 "
                "(docs/configuration.md shows how to make one)"
            )
        if production:
            if not secret and not self.jwt_private_key:
                problems.append("JWT_SECRET or JWT_PRIVATE_KEY is required in production")
            if not mfa_key:
                problems.append("MFA_ENCRYPTION_KEY is required in production")
        return problems

    def use_development_secrets(self) -> None:
        """The local profile's random signing secret and MFA key, for those not set."""
        if not _text(self.jwt_secret) and not self.jwt_private_key:
            log.warning(
                "JWT_SECRET is not set: using a random development secret; tokens will "
                "not survive a restart. Never run production like this."
            )
            self.jwt_secret = SecretStr(secrets.token_hex(32))
        if not _text(self.mfa_encryption_key):
            log.warning(
                "MFA_ENCRYPTION_KEY is not set: using a random development key; TOTP "
                "secrets stored now cannot be read after a restart."
            )
            self.mfa_encryption_key = SecretStr(new_fernet_key())


def _text(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret else ""


def _fernet_key(key: str) -> bool:
    """What ``Fernet(key)`` accepts: 32 bytes in url-safe base64."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (ValueError, TypeError):  # binascii.Error is a ValueError
        return False
