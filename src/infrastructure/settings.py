"""Configuration from environment variables, validated once at start-up (12-factor)."""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import re
import secrets
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.request_limits import parse_limits
from infrastructure.dev_secrets import (
    RSA_BITS_MIN,
    DevelopmentKey,
    development_rsa_key_pem,
    is_rsa_pem,
    new_fernet_key,
    new_signing_key_pem,
)

log = logging.getLogger(__name__)

EMULATOR_VARIABLES = (
    "firestore_emulator_host",
    "firebase_auth_emulator_host",
    "pubsub_emulator_host",
    "storage_emulator_host",
)
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*")  # DOG_IMAGE_HOSTS entries
_IP_LIKE = re.compile(r"[0-9.]+")
RATE_LIMIT_SCHEMES = ("firestore", "memory", "redis", "rediss", "redis+unix", "unix")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    app_profile: Literal["local", "production"] = "production"
    port: int = Field(8000, ge=1, le=65535)
    google_cloud_project: str = ""

    jwt_secret: SecretStr | None = None
    jwt_private_key: SecretStr | None = None
    jwt_previous_public_key: str | None = None
    jwt_issuer: str = "firegate"
    jwt_audience: str = "firegate-api"
    jwt_leeway: int = Field(10, ge=0, le=30)

    # firegate as an OpenID Connect provider (docs/reference/oauth.md). Its tokens are signed
    # with JWT_PRIVATE_KEY, else OIDC_PRIVATE_KEY (a PEM EC P-256 or RSA private key).
    oauth_provider: bool = True
    oidc_private_key: SecretStr | None = None
    # An RSA key for RS256 ID tokens when the key above is EC (OpenID Connect's mandatory
    # algorithm; docs/decisions/0212-rs256-id-tokens.md).
    oidc_rsa_private_key: SecretStr | None = None
    oauth_dynamic_registration: bool = False
    oauth_dpop_nonce: bool = False  # every DPoP proof carries the server's nonce (RFC 9449 §8)
    oauth_access_token_ttl: int = Field(600, ge=60, le=3600)
    oauth_refresh_token_ttl: int = Field(30 * 86_400, ge=300)
    oauth_client_cache_ttl: float = Field(5.0, ge=0, le=60)

    # Seals TOTP secrets at rest (a Fernet key: docs/security.md, "MFA").
    mfa_encryption_key: SecretStr | None = None
    mfa_issuer: str = Field("firegate", min_length=1, max_length=64)  # shown by authenticator apps
    access_token_ttl: int = Field(900, ge=60, le=86_400)
    refresh_token_ttl: int = Field(7 * 86_400, ge=300)
    session_lifetime: int = Field(30 * 86_400, ge=300)
    refresh_grace_seconds: int = Field(10, ge=0, le=10)
    # A session may add a way to sign in this long after its sign-in (docs/security.md).
    reauth_max_age: int = Field(600, ge=1, le=86_400)

    argon2_time_cost: int = Field(2, ge=2)
    argon2_memory_kib: int = Field(19_456, ge=19_456)
    argon2_parallelism: int = Field(1, ge=1)
    hash_concurrency: int = Field(2, ge=1, le=64)

    max_json_bytes: int = Field(1024 * 1024, ge=1024)
    cors_origins: Annotated[list[str], NoDecode] = []
    trusted_proxy_hops: int = Field(0, ge=0, le=10)
    log_level: str = "INFO"
    # Traces (docs/operations.md, "Traces"): exported by OTLP when an OTLP endpoint is set
    # (OpenTelemetry's own variables, read by its SDK too), to Cloud Trace with
    # TRACES_EXPORTER=gcp; off otherwise, and then nothing of OpenTelemetry is imported.
    traces_exporter: Literal["", "otlp", "gcp", "none"] = ""
    otel_exporter_otlp_endpoint: str = ""
    otel_exporter_otlp_traces_endpoint: str = ""
    # Metrics (docs/operations.md, "Metrics"): Prometheus text at /metrics only with this
    # bearer token (404 without it), and OTLP metrics where an OTLP endpoint is set (unless
    # OTEL_METRICS_EXPORTER=none); off otherwise, and then neither library is imported.
    metrics_token: SecretStr | None = None
    otel_exporter_otlp_metrics_endpoint: str = ""
    otel_metrics_exporter: Literal["", "otlp", "none"] = ""
    # The routes of the systems firegate replaces, for their clients (docs/migrating.md).
    compat_routes: bool = True

    # Requests per client address on the unauthenticated entry points
    # (docs/security.md#per-address-request-limits).
    rate_limit_enabled: bool = True
    rate_limit_storage_uri: SecretStr = SecretStr("firestore://")  # or redis://..., memory://
    rate_limit_register: str = "10/minute,100/hour"
    rate_limit_login: str = "30/minute,300/hour"
    rate_limit_refresh: str = "60/minute,600/hour"
    rate_limit_firebase: str = "30/minute,300/hour"
    rate_limit_email_verify: str = "30/minute,300/hour"
    rate_limit_password_forgot: str = "5/minute,50/hour"
    rate_limit_password_reset: str = "10/minute,100/hour"
    rate_limit_passkeys: str = "30/minute,300/hour"  # each of the two sign-in routes
    rate_limit_oauth_token: str = "120/minute,1200/hour"
    rate_limit_oauth_introspect: str = "600/minute,6000/hour"
    rate_limit_oauth_register: str = "10/minute,100/hour"
    # Attempted changes of username or e-mail address per account (count, seconds).
    identity_change_limit: int = Field(10, ge=1, le=1_000)
    identity_change_window: int = Field(3600, ge=60, le=86_400)
    # Failed logins, counted in Firestore (seconds and counts).
    login_failure_window: int = Field(900, ge=60, le=86_400)
    login_failures_per_account_ip: int = Field(10, ge=1, le=1_000)
    login_failures_per_account: int = Field(100, ge=1, le=100_000)
    login_failures_per_ip: int = Field(50, ge=1, le=100_000)
    login_backoff: int = Field(60, ge=1, le=86_400)
    login_backoff_max: int = Field(900, ge=1, le=86_400)

    # Mail (docs/reference/email.md): the SMTP server, the sender, where links point.
    smtp_url: SecretStr = SecretStr("smtp://127.0.0.1:1025")  # maildev locally
    smtp_timeout: float = Field(10.0, gt=0, le=120)
    mail_from: str = "firegate <no-reply@localhost>"
    mail_templates_dir: str = ""  # searched before the built-in templates
    public_url: str = "http://localhost:8000"
    site_name: str = Field("firegate", min_length=1, max_length=64)  # on pages and in mails
    # Branding (docs/configuration.md#branding): a logo on the pages (a path of this site or
    # a data:image/ URL: the pages' CSP allows img-src 'self' data:), the buttons' and links'
    # colour in the light scheme, and an address for help in the pages' footer and the mails.
    site_logo_url: str = Field("", max_length=65_536)
    brand_color: str = ""
    support_email: str = Field("", max_length=254)
    require_verified_email: bool = False

    # Passkeys (docs/reference/passkeys.md): the relying party's id (a domain), its name as
    # authenticators show it, and the origins whose answers count. Unset: from PUBLIC_URL
    # (the local profile: localhost and http://localhost:$PORT).
    webauthn_rp_id: str = ""
    webauthn_rp_name: str = "firegate"
    webauthn_origins: Annotated[list[str], NoDecode] = []

    # Upstream providers of the local profile, beside those added with the CLI: a JSON list of
    # objects with the CLI's fields (docs/reference/providers.md).
    upstream_providers: Annotated[list[dict[str, str]], NoDecode] = []

    firestore_emulator_host: str | None = None
    firebase_auth_emulator_host: str | None = None
    pubsub_emulator_host: str | None = None
    storage_emulator_host: str | None = None
    storage_bucket: str = ""
    # Datasets and files (docs/reference/datasets.md#limits-and-memory): the multipart upload
    # cap (413 past it) and
    # the CSV limits: data rows (413), columns (413), characters in one field (413; at most
    # the csv module's own limit).
    max_upload_bytes: int = Field(32 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    max_dataset_rows: int = Field(250_000, ge=1, le=5_000_000)
    max_dataset_columns: int = Field(200, ge=1, le=1_000)
    csv_max_field_chars: int = Field(131_072, ge=1, le=131_072)
    dog_api_url: str = "https://dog.ceo/api/breeds/image/random"
    job_queue: Literal["inprocess", "pubsub"] = "inprocess"
    # Dogs: hosts whose https picture URLs are accepted from DOG_API_URL; its read timeout.
    dog_image_hosts: Annotated[list[str], NoDecode] = ["images.dog.ceo"]
    dog_api_timeout: float = Field(5.0, gt=0, le=60)
    # Background jobs: attempts (Pub/Sub: 5-100) and backoff between them, in seconds.
    job_max_attempts: int = Field(5, ge=1, le=100)
    job_backoff: float = Field(10.0, ge=0.01, le=600)
    job_backoff_max: float = Field(600.0, ge=0.01, le=600)
    job_workers: int = Field(2, ge=1, le=32)  # inprocess: threads per process
    job_queue_size: int = Field(1000, ge=1, le=100_000)  # inprocess: jobs waiting, at most
    # inprocess: the threads per process that send webhooks, apart from the other jobs' (mail)
    webhook_workers: int = Field(2, ge=1, le=32)
    # pubsub: where pushes go (default http://127.0.0.1:$PORT/internal/jobs) and how they
    # authenticate: a shared token in the push URL, and/or Google-signed OIDC tokens.
    job_push_endpoint: str = ""
    job_push_token: SecretStr | None = None
    job_push_audience: str = ""
    job_push_service_account: str = ""
    pubsub_topic: str = "firegate-jobs"
    pubsub_subscription: str = "firegate-jobs-push"
    pubsub_dead_letter_topic: str = "firegate-jobs-dead"
    pubsub_dead_letter_subscription: str = "firegate-jobs-dead-push"
    # pubsub: webhook deliveries' own topic and push subscription, apart from the mail's
    pubsub_webhook_topic: str = "firegate-webhooks"
    pubsub_webhook_subscription: str = "firegate-webhooks-push"
    pubsub_setup: bool | None = None  # create them at start-up; default: in the local profile
    # Webhooks (docs/reference/webhooks.md): the first retry's delay (the later ones are
    # multiples of it) and how long a delivery is retried, in seconds; an attempt's deadline;
    # how long the list of endpoints is reused; the sweeper's period (0: none).
    webhook_retry_first: float = Field(5.0, ge=0.01, le=60)
    webhook_retry_window: float = Field(86_400.0, ge=1, le=7 * 86_400)
    webhook_timeout: float = Field(5.0, gt=0, le=30)
    webhook_cache_ttl: float = Field(5.0, ge=0, le=300)
    webhook_sweep_interval: float = Field(20.0, ge=0, le=3600)

    @field_validator("site_logo_url")
    @classmethod
    def _logo_served_here(cls, value: str) -> str:
        if value and not (value.startswith("data:image/") or re.fullmatch(r"/(?![/\\])\S*", value)):
            raise ValueError(
                "SITE_LOGO_URL must be a path of this site (/...) or a data:image/ URL: "
                "the pages' CSP allows images from nowhere else"
            )
        return value

    @field_validator("brand_color")
    @classmethod
    def _readable_color(cls, value: str) -> str:
        if not value:
            return value
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("BRAND_COLOR must be #rrggbb")
        if contrast_with_white(value) < MIN_CONTRAST:
            raise ValueError(
                f"BRAND_COLOR {value} is too light: white text on it, and it on white, need a "
                f"contrast of {MIN_CONTRAST}:1 (WCAG AA); it has "
                f"{contrast_with_white(value):.2f}:1"
            )
        return value.lower()

    @field_validator("support_email")
    @classmethod
    def _support_address(cls, value: str) -> str:
        if value and not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", value):
            raise ValueError("SUPPORT_EMAIL must be an e-mail address")
        return value

    @field_validator("upstream_providers", mode="before")
    @classmethod
    def _read_providers(cls, value: object) -> object:
        # Empty is none, as for the lists above; anything else is JSON, said so when it is not.
        if not isinstance(value, str):
            return value
        if not value.strip():
            return []
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(f"UPSTREAM_PROVIDERS must be a JSON list of objects: {exc}") from exc

    @field_validator("cors_origins", "webauthn_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator(
        "rate_limit_register",
        "rate_limit_login",
        "rate_limit_refresh",
        "rate_limit_firebase",
        "rate_limit_email_verify",
        "rate_limit_password_forgot",
        "rate_limit_password_reset",
        "rate_limit_passkeys",
        "rate_limit_oauth_token",
        "rate_limit_oauth_introspect",
        "rate_limit_oauth_register",
    )
    @classmethod
    def _check_rate_limit(cls, value: str, info: ValidationInfo) -> str:
        try:
            if value.strip():  # empty: no limit on that route
                parse_limits(value)
        except ValueError:
            name = (info.field_name or "").upper()
            raise ValueError(
                f"{name} must look like '20/minute' or '10/minute,100/hour', not {value!r}"
            ) from None
        return value

    @property
    def traces(self) -> Literal["otlp", "gcp"] | None:
        """Where traces go: TRACES_EXPORTER, else OTLP when an OTLP endpoint is set; None: off."""
        if self.traces_exporter == "none":
            return None
        if self.traces_exporter:
            return self.traces_exporter
        if self.otel_exporter_otlp_endpoint or self.otel_exporter_otlp_traces_endpoint:
            return "otlp"
        return None

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _long_metrics_token(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text in ("", None):
            return None  # set but empty: metrics off
        if isinstance(text, str) and len(text) < 32:
            raise ValueError("METRICS_TOKEN must be at least 32 characters (openssl rand -hex 32)")
        return value

    @property
    def metrics_otlp_endpoint(self) -> str | None:
        """Where OTLP metrics go (the metrics endpoint, else the OTLP base); None: not sent."""
        if self.otel_metrics_exporter == "none":
            return None
        if self.otel_exporter_otlp_metrics_endpoint:
            return self.otel_exporter_otlp_metrics_endpoint
        if self.otel_exporter_otlp_endpoint:
            return self.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/metrics"
        return None

    @model_validator(mode="after")
    def _check_abuse_controls(self) -> Settings:
        # Checked here, not in a field validator, so that a URI with a password is not
        # echoed in the error.
        if self.rate_limit_storage_uri.get_secret_value().partition("://")[0] not in (
            RATE_LIMIT_SCHEMES
        ):
            raise ValueError(
                "RATE_LIMIT_STORAGE_URI must be firestore://, memory:// or a Redis URI "
                "(redis://, rediss://, redis+unix://, unix://)"
            )
        if self.smtp_url.get_secret_value().partition("://")[0] not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must be smtp://[user:pass@]host:port or smtps://...")
        if not self.public_url.startswith(("http://", "https://")):
            raise ValueError("PUBLIC_URL must be an http(s) URL, e.g. https://app.example.com")
        if self.public_url.endswith("/"):  # assigned only then: see _production_mail_problems
            self.public_url = self.public_url.rstrip("/")
        if self.login_backoff_max < self.login_backoff:
            raise ValueError("LOGIN_BACKOFF_MAX must not be shorter than LOGIN_BACKOFF")
        return self

    @field_validator("dog_image_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip().lower() for host in value.split(",") if host.strip()]
        return value

    @model_validator(mode="after")
    def _check_jobs(self) -> Settings:
        problems: list[str] = []
        for host in self.dog_image_hosts:
            if not _HOST_NAME.fullmatch(host) or _IP_LIKE.fullmatch(host):
                problems.append(f"DOG_IMAGE_HOSTS: {host!r} is not a host name")
        if self.app_profile == "production" and not self.dog_api_url.startswith("https://"):
            problems.append("DOG_API_URL must be https in production")
        if self.job_backoff_max < self.job_backoff:
            problems.append("JOB_BACKOFF_MAX must not be shorter than JOB_BACKOFF")
        if self.job_queue == "pubsub":
            if not 5 <= self.job_max_attempts <= 100:
                problems.append("JOB_MAX_ATTEMPTS must be 5 to 100 with JOB_QUEUE=pubsub")
            token = self.job_push_token.get_secret_value() if self.job_push_token else ""
            if token and len(token) < 16:
                problems.append("JOB_PUSH_TOKEN must be at least 16 characters")
            oidc = self.job_push_audience and self.job_push_service_account
            if not token and not oidc:
                problems.append(
                    "JOB_QUEUE=pubsub needs JOB_PUSH_TOKEN, or JOB_PUSH_AUDIENCE and "
                    "JOB_PUSH_SERVICE_ACCOUNT (OIDC), to authenticate the pushes"
                )
        if problems:
            raise ValueError("invalid configuration:\n  - " + "\n  - ".join(problems))
        if not self.job_push_endpoint:
            self.job_push_endpoint = f"http://127.0.0.1:{self.port}/internal/jobs"
        if self.pubsub_setup is None:
            self.pubsub_setup = self.app_profile == "local"
        return self

    def _production_mail_problems(self) -> list[str]:
        """Production mail must link to a reachable front end and go to a chosen server
        (docs/decisions/0103-production-mail-settings.md). Unset means left out of the
        environment: the defaults are the local ones (maildev, 127.0.0.1:8000)."""
        problems: list[str] = []
        host = urlsplit(self.public_url).hostname or ""
        if "public_url" not in self.model_fields_set:
            problems.append(
                "PUBLIC_URL is required in production: the https address of the front end "
                "whose pages the mails' links open (e.g. https://app.example.com)"
            )
        elif _loopback(host):
            problems.append(
                f"PUBLIC_URL must not point at a loopback host in production ({host}): the "
                "mails' links would open on the reader's own machine"
            )
        if "smtp_url" not in self.model_fields_set:
            problems.append(
                "SMTP_URL is required in production: the default is the local maildev "
                "(a relay on the same host is allowed when named, e.g. smtp://127.0.0.1:25)"
            )
        return problems

    @model_validator(mode="after")
    def _check_profile(self) -> Settings:
        problems: list[str] = []
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        if secret and len(secret.encode()) < 32:
            problems.append("JWT_SECRET must be at least 32 bytes (try: openssl rand -hex 32)")
        mfa_key = self.mfa_encryption_key.get_secret_value() if self.mfa_encryption_key else ""
        if mfa_key and not _fernet_key(mfa_key):
            problems.append(
                "MFA_ENCRYPTION_KEY must be a Fernet key: 32 bytes in url-safe base64 "
                "(docs/configuration.md shows how to make one)"
            )
        if self.app_profile == "production":
            if not secret and not self.jwt_private_key:
                problems.append("JWT_SECRET or JWT_PRIVATE_KEY is required in production")
            if not mfa_key:
                problems.append("MFA_ENCRYPTION_KEY is required in production")
            problems += [
                f"{name.upper()} must not be set in production (emulators skip security checks)"
                for name in EMULATOR_VARIABLES
                if getattr(self, name)
            ]
            if not self.google_cloud_project:
                problems.append("GOOGLE_CLOUD_PROJECT is required in production")
            problems += self._production_mail_problems()
            if self.upstream_providers:
                problems.append(
                    "UPSTREAM_PROVIDERS is for the local profile: add providers with "
                    "`providers add` (docs/reference/providers.md)"
                )
        else:
            if not self.google_cloud_project:
                self.google_cloud_project = "demo-firegate"
            if not secret and not self.jwt_private_key:
                log.warning(
                    "JWT_SECRET is not set: using a random development secret; tokens will "
                    "not survive a restart. Never run production like this."
                )
                self.jwt_secret = SecretStr(secrets.token_hex(32))
            if not mfa_key:
                log.warning(
                    "MFA_ENCRYPTION_KEY is not set: using a random development key; TOTP "
                    "secrets stored now cannot be read after a restart."
                )
                self.mfa_encryption_key = SecretStr(new_fernet_key())
        if problems:
            raise ValueError("invalid configuration:\n  - " + "\n  - ".join(problems))
        return self

    @model_validator(mode="after")
    def _check_oidc_key(self) -> Settings:
        """The OpenID Connect provider signs with an asymmetric key (docs/reference/oauth.md)."""
        if not self.oauth_provider or self.jwt_private_key or self.oidc_private_key:
            return self
        if self.app_profile == "production":
            raise ValueError(
                "invalid configuration:\n  - OIDC_PRIVATE_KEY (or JWT_PRIVATE_KEY) is required "
                "for the OpenID Connect provider: its ID and access tokens are signed with an "
                "asymmetric key that other apps check against /.well-known/jwks.json; set one "
                "(a PEM EC P-256 or RSA private key), or OAUTH_PROVIDER=false"
            )
        log.warning(
            "OIDC_PRIVATE_KEY is not set: using a random development key for the OpenID "
            "Connect provider; its tokens will not survive a restart."
        )
        # Made when first signed with (DevelopmentKey), not here: the settings are read at
        # every start (docs/benchmarks.md, "Cold start").
        self.oidc_private_key = DevelopmentKey(new_signing_key_pem)
        return self

    @model_validator(mode="after")
    def _check_id_token_key(self) -> Settings:
        """ID tokens are signed RS256, OpenID Connect's mandatory algorithm, with the
        provider's key when it is RSA, else with OIDC_RSA_PRIVATE_KEY
        (docs/decisions/0212-rs256-id-tokens.md)."""
        if not self.oauth_provider:
            return self
        if self.oidc_rsa_private_key is not None:
            if not is_rsa_pem(self.oidc_rsa_private_key.get_secret_value()):
                raise ValueError(
                    "invalid configuration:\n  - OIDC_RSA_PRIVATE_KEY must be a PEM RSA "
                    f"private key of {RSA_BITS_MIN} bits or more"
                )
            return self
        pem = self.jwt_private_key or self.oidc_private_key
        if pem is None:
            return self
        # A development key is EC (new_signing_key_pem), known without making it.
        if not isinstance(pem, DevelopmentKey) and is_rsa_pem(pem.get_secret_value()):
            return self
        if self.app_profile == "local":
            log.warning(
                "OIDC_RSA_PRIVATE_KEY is not set: using a random development key for the "
                "OpenID Connect provider's RS256 ID tokens; they will not verify after a restart."
            )
            self.oidc_rsa_private_key = DevelopmentKey(development_rsa_key_pem)
        else:
            log.warning(
                "OIDC_RSA_PRIVATE_KEY is not set and the provider's key is EC: ID tokens are "
                "signed ES256, and relying parties that accept only RS256 (OpenID Connect's "
                "default) will refuse them; set OIDC_RSA_PRIVATE_KEY to a PEM RSA key."
            )
        return self

    @model_validator(mode="after")
    def _local_public_url(self) -> Settings:
        # Locally the mails' links follow PORT (`PORT=9000 make run`) unless PUBLIC_URL says
        # where they go; production requires PUBLIC_URL (_production_mail_problems). On
        # localhost, like the passkeys' origin: a link that opens 127.0.0.1 would lead to pages
        # where passkeys cannot work (docs/decisions/0121-passkey-configuration.md).
        if self.app_profile == "local" and "public_url" not in self.model_fields_set:
            self.public_url = f"http://localhost:{self.port}"
        return self

    @model_validator(mode="after")
    def _check_webauthn(self) -> Settings:
        # Browsers refuse WebAuthn on an IP-address origin, so the local default is
        # localhost, as PUBLIC_URL's is (docs/decisions/0121-passkey-configuration.md).
        # What is configured is checked; what follows PUBLIC_URL is taken as it is.
        self.webauthn_origins = [origin.rstrip("/") for origin in self.webauthn_origins]
        rp_id = self.webauthn_rp_id.lower()
        for origin in self.webauthn_origins:
            url = urlsplit(origin)
            host = (url.hostname or "").lower()
            if url.scheme not in ("http", "https") or not host or url.path or url.query:
                raise ValueError(f"WEBAUTHN_ORIGINS: {origin!r} is not an origin")
            if self.app_profile == "production" and url.scheme != "https" and host != "localhost":
                raise ValueError(f"WEBAUTHN_ORIGINS: {origin!r} must be https in production")
            if rp_id and host != rp_id and not host.endswith("." + rp_id):
                raise ValueError(
                    f"WEBAUTHN_RP_ID {rp_id!r} must be the host of {origin!r} or a suffix of it"
                )
        if self.app_profile == "local":
            self.webauthn_rp_id = self.webauthn_rp_id or "localhost"
            self.webauthn_origins = self.webauthn_origins or [f"http://localhost:{self.port}"]
        else:
            public = urlsplit(self.public_url)
            self.webauthn_rp_id = self.webauthn_rp_id or (public.hostname or "")
            self.webauthn_origins = self.webauthn_origins or [f"{public.scheme}://{public.netloc}"]
        return self

    @model_validator(mode="after")
    def _default_bucket(self) -> Settings:
        # Local runs use the emulator's bucket; production names its bucket explicitly
        # (without one, the dataset and file routes answer 503 storage_not_configured).
        if not self.storage_bucket and self.app_profile == "local":
            self.storage_bucket = f"{self.google_cloud_project or 'demo-firegate'}.appspot.com"
        return self


def load_settings() -> Settings:
    return Settings()


def _loopback(host: str) -> bool:
    """localhost, *.localhost, 127.0.0.0/8, ::1, or the unspecified address."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _fernet_key(key: str) -> bool:
    """What ``Fernet(key)`` accepts: 32 bytes in url-safe base64. Checked without importing
    cryptography, which ``import wsgi`` no longer needs (docs/decisions/0150-cold-start.md)."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (ValueError, TypeError):  # binascii.Error is a ValueError
        return False


MIN_CONTRAST = 4.5  # WCAG 2 AA for text: the pages' white button text, their links on white


def contrast_with_white(color: str) -> float:
    """The WCAG 2 contrast ratio of ``#rrggbb`` against white."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)
