"""The service's own settings, which no capability owns: the profile, the project, the port and
the front end's address, logs, request bodies, CORS and proxies, the emulators, and the
per-address request limits' switch and store (docs/configuration.md, "Service")."""

from __future__ import annotations

import ipaddress
import os
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from infrastructure.settings.group import Origins, SettingsGroup

EMULATOR_VARIABLES = (
    "firestore_emulator_host",
    "firebase_auth_emulator_host",
    "pubsub_emulator_host",
    "storage_emulator_host",
)
RATE_LIMIT_SCHEMES = ("firestore", "memory", "redis", "rediss", "redis+unix", "unix")


class ServiceSettings(SettingsGroup):
    app_profile: Literal["local", "production"] = "production"
    port: int = Field(8000, ge=1, le=65535)
    google_cloud_project: str = ""
    # The front end: where the mails' links point, the provider's issuer, the passkeys'
    # origin unless WEBAUTHN_ORIGINS says otherwise.
    public_url: str = "http://localhost:8000"
    log_level: str = "INFO"

    max_json_bytes: int = Field(1024 * 1024, ge=1024)
    cors_origins: Origins = []
    trusted_proxy_hops: int = Field(0, ge=0, le=10)

    firestore_emulator_host: str | None = None
    firebase_auth_emulator_host: str | None = None
    pubsub_emulator_host: str | None = None
    storage_emulator_host: str | None = None

    # Requests per client address on the unauthenticated entry points
    # (docs/security.md#per-address-request-limits); each entry point's limit is a setting of
    # its capability (RATE_LIMIT_LOGIN: signin, ...).
    rate_limit_enabled: bool = True
    rate_limit_storage_uri: SecretStr = SecretStr("firestore://")  # or redis://..., memory://

    # The CA bundle every outbound https call trusts (client metadata documents, hooks,
    # webhooks, a client's keys, an IdP's metadata, upstream discovery): an enterprise's own
    # CA; unset, the default store (docs/configuration.md, "Service").
    ssl_cert_file: str | None = None

    # The units left out of this service, by name (``tasks,dogs``): their routes answer 404
    # and their modules are not imported (docs/configuration.md, "Units").
    units_off: Origins = []

    @model_validator(mode="after")
    def _check_ca_bundle(self) -> ServiceSettings:
        if self.ssl_cert_file == "":
            self.ssl_cert_file = None  # set empty: unset
        if self.ssl_cert_file is not None and not os.path.isfile(self.ssl_cert_file):
            raise ValueError(f"SSL_CERT_FILE names no file: {self.ssl_cert_file}")
        return self

    @model_validator(mode="after")
    def _check_addresses(self) -> ServiceSettings:
        # Checked here, not in a field validator, so that a URI with a password is not
        # echoed in the error.
        if self.rate_limit_storage_uri.get_secret_value().partition("://")[0] not in (
            RATE_LIMIT_SCHEMES
        ):
            raise ValueError(
                "RATE_LIMIT_STORAGE_URI must be firestore://, memory:// or a Redis URI "
                "(redis://, rediss://, redis+unix://, unix://)"
            )
        if not self.public_url.startswith(("http://", "https://")):
            raise ValueError("PUBLIC_URL must be an http(s) URL, e.g. https://app.example.com")
        if self.public_url.endswith("/"):  # assigned only then: see production_problems
            self.public_url = self.public_url.rstrip("/")
        return self

    @model_validator(mode="after")
    def _local_defaults(self) -> ServiceSettings:
        if self.app_profile != "local":
            return self
        self.google_cloud_project = self.google_cloud_project or "demo-firegate"
        # Locally the mails' links follow PORT (`PORT=9000 make run`) unless PUBLIC_URL says
        # where they go; production requires PUBLIC_URL (production_problems). On localhost,
        # like the passkeys' origin: a link that opens 127.0.0.1 would lead to pages where
        # passkeys cannot work (docs/decisions/0121-passkey-configuration.md).
        if "public_url" not in self.model_fields_set:
            self.public_url = f"http://localhost:{self.port}"
        return self

    def production_problems(self) -> list[str]:
        """What the production profile refuses here. Its mails must link to a reachable front
        end (docs/decisions/0103-production-mail-settings.md): PUBLIC_URL unset means left out
        of the environment, and its default is the local one."""
        problems = [
            f"{name.upper()} must not be set in production (emulators skip security checks)"
            for name in EMULATOR_VARIABLES
            if getattr(self, name)
        ]
        if not self.google_cloud_project:
            problems.append("GOOGLE_CLOUD_PROJECT is required in production")
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
        return problems


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
