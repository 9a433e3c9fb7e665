"""The three driving adapters (the JSON API, the pages, the provider) as the settings make
them: what the composition root hands the app shell (docs/reference/index.md, "One app,
three adapters")."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from application.provider.ports import ProviderTokens
from bootstrap.adapters import (
    derived_key,
    provider_tokens,
)
from infrastructure.settings import Settings
from interfaces import provider
from interfaces import web as pages
from interfaces.http import app as api
from interfaces.http.limits import ApiLimits
from interfaces.provider import ProviderConfig, ProviderLimits
from interfaces.shared.shell import Install
from interfaces.web import PagesConfig

if TYPE_CHECKING:
    from interfaces.provider.server.config import OAuthConfig


def api_limits(settings: Settings) -> ApiLimits:
    return ApiLimits(
        register=settings.rate_limit_register,
        login=settings.rate_limit_login,
        refresh=settings.rate_limit_refresh,
        firebase=settings.rate_limit_firebase,
        email_verify=settings.rate_limit_email_verify,
        password_forgot=settings.rate_limit_password_forgot,
        password_reset=settings.rate_limit_password_reset,
        passkeys=settings.rate_limit_passkeys,
    )


def driving_adapters(settings: Settings) -> list[Install]:
    """The JSON API, the pages and, where it has keys, the provider: installed on the app
    shell in any order."""
    http_config = api.HttpConfig(
        cors_origins=tuple(settings.cors_origins),
        rate_limits=api_limits(settings),
        max_upload_bytes=settings.max_upload_bytes,
        compat_routes=settings.compat_routes,
    )
    pages_config = PagesConfig(
        site_name=settings.site_name,
        public_url=settings.public_url,
        local=settings.app_profile == "local",
        key=derived_key(settings, b"pages csrf"),
        passkey_origins=tuple(settings.webauthn_origins),
        logo_url=settings.site_logo_url,
        brand_color=settings.brand_color,
        support_email=settings.support_email,
    )
    installs: list[Install] = [
        lambda app: api.install(app, http_config),
        lambda app: pages.install(app, pages_config),
    ]
    keys = provider_tokens(settings)
    if keys is not None:
        provider_config = ProviderConfig(
            server=partial(oauth_config, settings, keys),
            keys=keys,
            limits=ProviderLimits(
                token=settings.rate_limit_oauth_token,
                introspect=settings.rate_limit_oauth_introspect,
                register=settings.rate_limit_oauth_register,
            ),
        )
        installs.append(lambda app: provider.install(app, provider_config))
    return installs


def oauth_config(settings: Settings, keys: ProviderTokens) -> OAuthConfig:
    """The provider's Authlib server's configuration, made with that server on the
    provider's first request, when Authlib is imported (docs/benchmarks.md, "Cold start")."""
    from infrastructure.provider.dpop import JwtProofs  # noqa: PLC0415 - with the provider's server
    from interfaces.provider.server.config import OAuthConfig  # noqa: PLC0415 - Authlib's

    return OAuthConfig(
        issuer=settings.public_url,
        keys=keys,
        dynamic_registration=settings.oauth_dynamic_registration,
        forbidden_audiences=(settings.jwt_audience, settings.jwt_issuer),
        # DPoP's nonces, keyed as every instance is: each accepts the others' with nothing
        # stored (docs/decisions/0284-dpop-nonces-without-state.md).
        dpop=JwtProofs(derived_key(settings, b"dpop nonces")),
        dpop_nonce=settings.oauth_dpop_nonce,
    )
