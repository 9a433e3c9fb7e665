"""Configuration from environment variables, validated once at start-up (12-factor).

``Settings`` is one group per capability (``settings.signin.jwt_secret``) and a few of the
service's own (docs/decisions/0350-settings-grouped-by-capability.md). A field keeps its
variable's name, lower-cased, in whichever group it is: ``JWT_SECRET`` is read as
``jwt_secret``, and ``Settings(jwt_secret=...)`` takes it by that name too. Each group checks
its own fields, and what the production profile demands of them; what relates two groups'
fields is checked, or filled in, here.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, PrivateAttr, ValidationError, model_validator
from pydantic_core import ErrorDetails, InitErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from infrastructure.dev_secrets import (
    DevelopmentKey,
    development_rsa_key_pem,
    is_rsa_pem,
    new_signing_key_pem,
)
from infrastructure.settings.group import SettingsGroup, invalid_configuration
from infrastructure.settings.identity.accounts import AccountSettings
from infrastructure.settings.identity.events import EventsSettings
from infrastructure.settings.identity.federation import FederationSettings
from infrastructure.settings.identity.mail import MailSettings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.settings.orgs_and_apps.migration import MigrationSettings
from infrastructure.settings.orgs_and_apps.orgs import OrgSettings
from infrastructure.settings.orgs_and_apps.provider import ProviderSettings
from infrastructure.settings.orgs_and_apps.sso import SsoSettings
from infrastructure.settings.platform.branding import BrandingSettings
from infrastructure.settings.platform.jobs import JobSettings
from infrastructure.settings.platform.service import ServiceSettings
from infrastructure.settings.platform.storage import StorageSettings
from infrastructure.settings.platform.telemetry import TelemetrySettings

log = logging.getLogger(__name__)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service: ServiceSettings
    accounts: AccountSettings
    signin: SignInSettings
    federation: FederationSettings
    provider: ProviderSettings
    mail: MailSettings
    branding: BrandingSettings
    events: EventsSettings
    orgs: OrgSettings
    sso: SsoSettings
    storage: StorageSettings
    migration: MigrationSettings
    jobs: JobSettings
    telemetry: TelemetrySettings

    # The values this was made with, for the units' own groups (``unit_group``).
    _given: dict[str, Any] = PrivateAttr(default_factory=dict)

    def __init__(self, **values: Any) -> None:
        """``values`` by their variables' names (``jwt_secret=...``), over the environment's;
        an invalid one is named as its variable is, whichever group holds it."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(
                exc.title, [_by_variable(error) for error in exc.errors()]
            ) from None
        self._given = {name.lower(): value for name, value in values.items()}

    def unit_group[G: SettingsGroup](self, group: type[G]) -> G:
        """A unit's own settings group (its ``bootstrap/<unit>.py`` names it): each variable
        as this was made with it, else as the environment has it; checked as the core's are,
        named by its variable when invalid."""
        read = _Variables(type(self))
        values = read.values_of(group) | {
            name: value for name, value in self._given.items() if name in group.model_fields
        }
        try:
            found = group.model_validate(values)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(
                exc.title, [_by_variable(error) for error in exc.errors()]
            ) from None
        problems = found.problems_beside(self)
        if self.service.app_profile == "production":
            problems += found.production_problems()
        if problems:
            raise invalid_configuration(problems)
        return found

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Variables(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _grouped(cls, data: object) -> object:
        """Each value to the group of the field of its name; unknown names are ignored."""
        if not isinstance(data, dict):
            return data
        grouped: dict[str, dict[str, Any]] = {name: {} for name in GROUPS}
        for name, value in data.items():
            if name in GROUP_OF:
                grouped[GROUP_OF[name]][name] = value
            elif name in GROUPS:  # a group as a whole: its values under the variables'
                given = _given(value)
                grouped[name] = {**given, **grouped[name]}
        return grouped

    @model_validator(mode="after")
    def _check_profile(self) -> Settings:
        production = self.service.app_profile == "production"
        problems = self.signin.problems(production=production)
        if production:
            problems += [
                *self.service.production_problems(),
                *self.mail.production_problems(),
                *self.federation.production_problems(),
            ]
        if problems:
            raise invalid_configuration(problems)
        if not production:
            self.signin.use_development_secrets()
        return self

    @model_validator(mode="after")
    def _check_provider_keys(self) -> Settings:
        """The OpenID Connect provider signs with an asymmetric key, firegate's own
        (JWT_PRIVATE_KEY) when there is one, and its ID tokens RS256, OpenID Connect's
        mandatory algorithm: with that key when it is RSA, else with OIDC_RSA_PRIVATE_KEY
        (docs/reference/oauth.md, docs/decisions/0212-rs256-id-tokens.md)."""
        provider, own_key = self.provider, self.signin.jwt_private_key
        if not provider.oauth_provider:
            return self
        local = self.service.app_profile == "local"
        if not own_key and not provider.oidc_private_key:
            if not local:
                raise invalid_configuration(
                    [
                        "OIDC_PRIVATE_KEY (or JWT_PRIVATE_KEY) is required for the OpenID "
                        "Connect provider: its ID and access tokens are signed with an "
                        "asymmetric key that other apps check against /.well-known/jwks.json; "
                        "set one (a PEM EC P-256 or RSA private key), or OAUTH_PROVIDER=false"
                    ]
                )
            log.warning(
                "OIDC_PRIVATE_KEY is not set: using a random development key for the OpenID "
                "Connect provider; its tokens will not survive a restart."
            )
            # Made when first signed with (DevelopmentKey), not here: the settings are read at
            # every start (docs/benchmarks.md, "Cold start").
            provider.oidc_private_key = DevelopmentKey(new_signing_key_pem)
        pem = own_key or provider.oidc_private_key
        # A development key is EC (new_signing_key_pem), known without making it.
        if (
            provider.oidc_rsa_private_key is not None
            or pem is None
            or (not isinstance(pem, DevelopmentKey) and is_rsa_pem(pem.get_secret_value()))
        ):
            return self
        if local:
            log.warning(
                "OIDC_RSA_PRIVATE_KEY is not set: using a random development key for the "
                "OpenID Connect provider's RS256 ID tokens; they will not verify after a restart."
            )
            provider.oidc_rsa_private_key = DevelopmentKey(development_rsa_key_pem)
        else:
            log.warning(
                "OIDC_RSA_PRIVATE_KEY is not set and the provider's key is EC: ID tokens are "
                "signed ES256, and relying parties that accept only RS256 (OpenID Connect's "
                "default) will refuse them; set OIDC_RSA_PRIVATE_KEY to a PEM RSA key."
            )
        return self

    @model_validator(mode="after")
    def _saml_key(self) -> Settings:
        """Outside production, a development key for the SAML service provider when none is
        set (the local profile keeps its own in .local, docs/configuration.md)."""
        if self.sso.saml_sp_private_key is None and self.service.app_profile != "production":
            self.sso.saml_sp_private_key = DevelopmentKey(development_rsa_key_pem)
        return self

    @model_validator(mode="after")
    def _passkeys_follow_public_url(self) -> Settings:
        # Browsers refuse WebAuthn on an IP-address origin, so the local default is
        # localhost, as PUBLIC_URL's is (docs/decisions/0121-passkey-configuration.md).
        signin, service = self.signin, self.service
        if service.app_profile == "local":
            local = f"http://localhost:{service.port}"
            signin.webauthn_rp_id = signin.webauthn_rp_id or "localhost"
            signin.webauthn_origins = signin.webauthn_origins or [local]
            return self
        for origin in signin.webauthn_origins:
            url = urlsplit(origin)
            if url.scheme != "https" and (url.hostname or "").lower() != "localhost":
                raise ValueError(f"WEBAUTHN_ORIGINS: {origin!r} must be https in production")
        public = urlsplit(service.public_url)
        signin.webauthn_rp_id = signin.webauthn_rp_id or (public.hostname or "")
        signin.webauthn_origins = signin.webauthn_origins or [f"{public.scheme}://{public.netloc}"]
        return self

    @model_validator(mode="after")
    def _defaults_from_the_service(self) -> Settings:
        """Pushes to this port, Pub/Sub set up in the local profile, its emulator's bucket,
        and no breached-password check there unless asked for."""
        jobs, service = self.jobs, self.service
        if not jobs.job_push_endpoint:
            jobs.job_push_endpoint = f"http://127.0.0.1:{service.port}/internal/jobs"
        if jobs.pubsub_setup is None:
            jobs.pubsub_setup = service.app_profile == "local"
        # Local runs use the emulator's bucket; production names its bucket explicitly
        # (without one, the dataset and file routes answer 503 storage_not_configured).
        if not self.storage.storage_bucket and service.app_profile == "local":
            project = service.google_cloud_project or "demo-firegate"
            self.storage.storage_bucket = f"{project}.appspot.com"
        if self.accounts.breached_passwords is None:
            local = service.app_profile == "local"
            self.accounts.breached_passwords = "off" if local else "block"
        return self


GROUPS: dict[str, type[SettingsGroup]] = {
    name: field.annotation
    for name, field in Settings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, SettingsGroup)
}
GROUP_OF: dict[str, str] = {
    variable: group for group, model in GROUPS.items() for variable in model.model_fields
}
"""Which group holds each variable (lower-cased): tests/unit/test_docs_configuration.py keeps
each in one group only."""


class _Variables(EnvSettingsSource):
    """The environment, read for every group's fields by their own names (no prefix, no
    nesting): the documented variables (docs/configuration.md)."""

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for model in GROUPS.values():
            found |= self.values_of(model)
        return found

    def values_of(self, model: type[SettingsGroup]) -> dict[str, Any]:
        """The variables of ``model``'s fields that the environment sets."""
        found: dict[str, Any] = {}
        for name, field in model.model_fields.items():
            value, _, is_complex = self.get_field_value(field, name)
            value = self.prepare_field_value(name, field, value, is_complex)
            if value is not None:
                found[name] = value
        return found


def _given(group: object) -> dict[str, Any]:
    if isinstance(group, BaseModel):
        return {name: getattr(group, name) for name in group.model_fields_set}
    if isinstance(group, dict):
        return group
    raise ValueError(f"a settings group is a mapping of its variables, not {group!r}")


def _by_variable(error: ErrorDetails) -> InitErrorDetails:
    """``error`` located by its variable (``jwt_leeway``), not by its group's path to it."""
    loc = error["loc"]
    if loc and loc[0] in GROUPS:
        loc = loc[1:]
    details = InitErrorDetails(type=error["type"], loc=loc, input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details


def load_settings() -> Settings:
    return Settings()
