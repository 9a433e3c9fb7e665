"""firegate as an OpenID Connect provider: whether it is one, its keys, its tokens' lifetimes,
its clients' cache and its endpoints' limits (docs/reference/oauth.md)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from infrastructure.dev_secrets import RSA_BITS_MIN, is_rsa_pem
from infrastructure.settings.group import RequestLimit, SettingsGroup, invalid_configuration


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
    oauth_client_cache_ttl: float = Field(5.0, ge=0, le=60)
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
