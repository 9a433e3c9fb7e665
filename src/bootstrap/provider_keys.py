"""The provider's signing keys, as the settings give them."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from application.provider.ports import ProviderTokens
from bootstrap.cloud import FirstUse
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.settings.orgs_and_apps.provider import ProviderSettings
from infrastructure.signin.jwt_tokens import PyJWTProviderTokens, signing_key_from_pem

if TYPE_CHECKING:
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
    tests build many apps; the adapters and the provider's endpoints share it. The signing
    key is loaded here (an EC key in well under a millisecond), so that a worker whose key
    does not load stops as it starts; an RSA key of the ID tokens beside it is loaded and
    checked by the provider's first use of its keys, not by every worker's start (the
    settings checked its type and size: ``ProviderSettings``)."""
    signing = signing_key_from_pem(pem.encode())
    if signing.algorithm == "RS256" or rsa_pem is None:
        return PyJWTProviderTokens(issuer=issuer, signing=signing)
    id_pem = rsa_pem.encode()
    return ProviderTokensOnFirstUse(
        signing.algorithm,
        lambda: PyJWTProviderTokens(
            issuer=issuer, signing=signing, id_token=signing_key_from_pem(id_pem)
        ),
    )


class ProviderTokensOnFirstUse(FirstUse[ProviderTokens]):
    """The provider's keys with an RSA key of its ID tokens, made by their first use. Their
    algorithms are known without it: the signing key's, and RS256 for the ID tokens."""

    def __init__(self, access_alg: str, make: Callable[[], ProviderTokens]) -> None:
        super().__init__(make)
        self._access_alg = access_alg

    @property
    def access_alg(self) -> str:
        return self._access_alg

    @property
    def id_token_alg(self) -> str:
        return "RS256"

    def public_jwks(self) -> list[dict[str, Any]]:
        return self.adapter().public_jwks()

    def sign_access(self, claims: dict[str, Any]) -> str:
        return self.adapter().sign_access(claims)

    def sign_id_token(self, claims: dict[str, Any]) -> str:
        return self.adapter().sign_id_token(claims)

    def sign_logout_token(self, claims: dict[str, Any]) -> str:
        return self.adapter().sign_logout_token(claims)

    def verify_access(self, token: str) -> dict[str, Any] | None:
        return self.adapter().verify_access(token)

    def sign_id_jag(self, claims: dict[str, Any]) -> str:
        return self.adapter().sign_id_jag(claims)

    def verify_id_token(self, token: str) -> dict[str, Any] | None:
        return self.adapter().verify_id_token(token)
