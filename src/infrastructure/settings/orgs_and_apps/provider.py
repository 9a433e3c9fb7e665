"""firegate as an OpenID Connect provider: whether it is one, its keys, its tokens' lifetimes,
its clients' cache and its endpoints' limits (docs/reference/oauth.md)."""

from __future__ import annotations

import logging

from pydantic import Field, SecretStr, model_validator

from infrastructure.dev_secrets import (
    RSA_BITS_MIN,
    DevelopmentKey,
    development_rsa_key_pem,
    is_rsa_pem,
    new_signing_key_pem,
)
from infrastructure.settings.group import (
    Composition,
    RequestLimit,
    SettingsGroup,
    invalid_configuration,
)
from infrastructure.settings.identity.signin import SignInSettings

log = logging.getLogger(__name__)


class ProviderSettings(SettingsGroup):
    # Its tokens are signed with JWT_PRIVATE_KEY, else OIDC_PRIVATE_KEY (a PEM EC P-256 or RSA
    # private key).
    oauth_provider: bool = True
    oidc_private_key: SecretStr | None = None
    # An RSA key for RS256 ID tokens when the key above is EC (OpenID Connect's mandatory
    # algorithm; docs/decisions/0212-rs256-id-tokens.md).
    oidc_rsa_private_key: SecretStr | None = None
    oauth_dynamic_registration: bool = False
    oauth_dpop_nonce: bool = False  # every DPoP proof carries the server's nonce (RFC 9449 §8)
    oauth_require_par: bool = False  # every authorization request is pushed first (RFC 9126)
    oauth_access_token_ttl: int = Field(600, ge=60, le=3600)
    oauth_refresh_token_ttl: int = Field(30 * 86_400, ge=300)
    rate_limit_oauth_token: RequestLimit = "120/minute,1200/hour"
    rate_limit_oauth_introspect: RequestLimit = "600/minute,6000/hour"
    rate_limit_oauth_register: RequestLimit = "10/minute,100/hour"

    @model_validator(mode="after")
    def _check_id_token_key(self) -> ProviderSettings:
        if (
            self.oauth_provider
            and self.oidc_rsa_private_key is not None
            and not is_rsa_pem(self.oidc_rsa_private_key.get_secret_value())
        ):
            raise invalid_configuration(
                [
                    "OIDC_RSA_PRIVATE_KEY must be a PEM RSA private key of "
                    f"{RSA_BITS_MIN} bits or more"
                ]
            )
        return self

    def problems_beside(self, settings: Composition) -> list[str]:
        """The OpenID Connect provider signs with an asymmetric key, firegate's own
        (JWT_PRIVATE_KEY) when there is one: outside the local profile, one is required."""
        if not self.oauth_provider or settings.service.app_profile == "local":
            return []
        if settings.group(SignInSettings).jwt_private_key or self.oidc_private_key:
            return []
        return [
            "OIDC_PRIVATE_KEY (or JWT_PRIVATE_KEY) is required for the OpenID "
            "Connect provider: its ID and access tokens are signed with an "
            "asymmetric key that other apps check against /.well-known/jwks.json; "
            "set one (a PEM EC P-256 or RSA private key), or OAUTH_PROVIDER=false"
        ]

    def fill_in(self, settings: Composition) -> None:
        """The provider's ID tokens are RS256, OpenID Connect's mandatory algorithm: signed
        with its key when it is RSA, else with OIDC_RSA_PRIVATE_KEY
        (docs/reference/oauth.md, docs/decisions/0212-rs256-id-tokens.md); the local
        profile makes up the keys not set."""
        if not self.oauth_provider:
            return
        own_key = settings.group(SignInSettings).jwt_private_key
        local = settings.service.app_profile == "local"
        if not own_key and not self.oidc_private_key:  # the local profile (problems_beside)
            log.warning(
                "OIDC_PRIVATE_KEY is not set: using a random development key for the OpenID "
                "Connect provider; its tokens will not survive a restart."
            )
            # Made when first signed with (DevelopmentKey), not here: the settings are read at
            # every start (docs/benchmarks.md, "Cold start").
            self.oidc_private_key = DevelopmentKey(new_signing_key_pem)
        pem = own_key or self.oidc_private_key
        # A development key is EC (new_signing_key_pem), known without making it.
        if (
            self.oidc_rsa_private_key is not None
            or pem is None
            or (not isinstance(pem, DevelopmentKey) and is_rsa_pem(pem.get_secret_value()))
        ):
            return
        if local:
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
