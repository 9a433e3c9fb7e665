"""The provider's signing keys, as the settings give them."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.settings.orgs_and_apps.provider import ProviderSettings
from infrastructure.signin.jwt_tokens import PyJWTProviderTokens, signing_key_from_pem

if TYPE_CHECKING:
    from application.provider.ports import ProviderTokens
    from infrastructure.settings import Settings


def provider_tokens(settings: Settings) -> ProviderTokens | None:
    """The provider's tokens, signed with JWT_PRIVATE_KEY's key, else OIDC_PRIVATE_KEY's (the
    settings make a development one in the local profile), and its RS256 ID tokens, when that
    key is EC, with OIDC_RSA_PRIVATE_KEY's (docs/decisions/0212-rs256-id-tokens.md); None when
    the provider is off."""
    pem = (
        settings.group(SignInSettings).jwt_private_key
        or settings.group(ProviderSettings).oidc_private_key
    )
    if not settings.group(ProviderSettings).oauth_provider or pem is None:
        return None
    rsa_pem = settings.group(ProviderSettings).oidc_rsa_private_key
    return _provider_tokens(
        settings.service.public_url,
        pem.get_secret_value(),
        rsa_pem.get_secret_value() if rsa_pem is not None else None,
    )


@lru_cache(maxsize=4)
def _provider_tokens(issuer: str, pem: str, rsa_pem: str | None) -> ProviderTokens:
    """Made once per process for its keys: checking an RSA key takes about 25 ms, and the
    tests build many apps; the adapters and the provider's endpoints share it."""
    signing = signing_key_from_pem(pem.encode())
    id_token = None
    if signing.algorithm != "RS256" and rsa_pem is not None:
        id_token = signing_key_from_pem(rsa_pem.encode())
    return PyJWTProviderTokens(issuer=issuer, signing=signing, id_token=id_token)
