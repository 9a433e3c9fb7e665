"""Single sign-on for organizations (docs/reference/sso.md): the SAML service provider's key,
``SAML_SP_PRIVATE_KEY`` (PEM RSA, at least 2048 bits), which signs its requests; its
certificate in the metadata is made from it. Unset in production, SAML sign-in answers 503
``saml_not_configured``; the local profile keeps a development key of its own. And
``RATE_LIMIT_SSO_ACS``, the per-address limit of the IdPs' answers."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from infrastructure.dev_secrets import DevelopmentKey, development_rsa_key_pem, is_rsa_pem
from infrastructure.settings.group import Composition, RequestLimit, SettingsGroup


class SsoSettings(SettingsGroup):
    saml_sp_private_key: SecretStr | None = None
    # The IdPs' answers per client address: POST to a SAML ACS and the OpenID callback, one
    # budget (docs/decisions/0446-the-idps-answers-are-limited-per-address.md)
    rate_limit_sso_acs: RequestLimit = "30/minute,300/hour"
    # How often each server looks for IdP certificates within 30 days of their end (0: never;
    # the ``orgs sso-certificates`` command then does, from a scheduler).
    sso_certificate_sweep_interval: float = Field(6 * 3600.0, ge=0, le=7 * 86_400)

    @field_validator("saml_sp_private_key")
    @classmethod
    def _rsa(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        if value is not None and not is_rsa_pem(value.get_secret_value()):
            raise ValueError(
                "SAML_SP_PRIVATE_KEY must be a PEM RSA private key of 2048 bits or more"
            )
        return value

    def fill_in(self, settings: Composition) -> None:
        """Outside production, a development key for the SAML service provider when none is
        set (the local profile keeps its own in .local, docs/configuration.md)."""
        if self.saml_sp_private_key is None and settings.service.app_profile != "production":
            self.saml_sp_private_key = DevelopmentKey(development_rsa_key_pem)
