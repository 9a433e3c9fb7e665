"""The provider's driving adapter (interfaces/provider) as the settings make it, where it has
keys: what the provider's unit hands the composition root's driving adapters
(``DRIVING_ADAPTERS``, bootstrap/driving.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bootstrap.drivers import DrivingAdapter
from bootstrap.keys import derived_key
from bootstrap.provider_keys import provider_tokens
from infrastructure.settings import Settings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.settings.orgs_and_apps.provider import ProviderSettings
from interfaces import provider
from interfaces.provider import ProviderConfig, ProviderLimits
from interfaces.shared.shell import Install

if TYPE_CHECKING:
    from application.provider.ports import ProviderTokens
    from interfaces.provider.server.models.config import OAuthConfig


def provider_adapter(settings: Settings) -> Install | None:
    """The provider, installed on the app shell; None when it is off or has no keys."""
    keys = provider_tokens(settings)
    if keys is None:
        return None
    config = ProviderConfig(
        server=ProviderServer(settings, keys).config,
        keys=keys,
        limits=ProviderLimits(
            token=settings.group(ProviderSettings).rate_limit_oauth_token,
            introspect=settings.group(ProviderSettings).rate_limit_oauth_introspect,
            register=settings.group(ProviderSettings).rate_limit_oauth_register,
        ),
    )
    return DrivingAdapter(provider.install, config)


@dataclass(frozen=True)
class ProviderServer:
    """What the provider's Authlib server is made with, on the provider's first request,
    when Authlib is imported (docs/benchmarks.md, "Cold start")."""

    settings: Settings
    keys: ProviderTokens

    def config(self) -> OAuthConfig:
        """The server's configuration."""
        from infrastructure.provider.dpop import JwtProofs  # noqa: PLC0415 - the server's
        from interfaces.provider.server.models.config import OAuthConfig  # noqa: PLC0415 - Authlib's

        settings = self.settings
        return OAuthConfig(
            issuer=settings.service.public_url,
            keys=self.keys,
            dynamic_registration=settings.group(ProviderSettings).oauth_dynamic_registration,
            forbidden_audiences=(
                settings.group(SignInSettings).jwt_audience,
                settings.group(SignInSettings).jwt_issuer,
            ),
            # DPoP's nonces, keyed as every instance is: each accepts the others' with nothing
            # stored (docs/decisions/0284-dpop-nonces-without-state.md).
            dpop=JwtProofs(derived_key(settings.group(SignInSettings), b"dpop nonces")),
            dpop_nonce=settings.group(ProviderSettings).oauth_dpop_nonce,
            require_par=settings.group(ProviderSettings).oauth_require_par,
        )
