"""The driving adapters (the JSON API, the pages, the provider, SCIM) as the settings make
them: what the composition root hands the app shell (docs/reference/index.md, "One app,
four adapters")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from flask import Flask

from bootstrap import accounts
from bootstrap.keys import derived_key
from bootstrap.provider_keys import provider_tokens
from bootstrap.units import every_unit, unit_pages
from domain.slots import filled
from infrastructure.settings import Settings
from interfaces import provider, scim
from interfaces import web as pages
from interfaces.http import app as api
from interfaces.provider import ProviderConfig, ProviderLimits
from interfaces.scim import ScimConfig
from interfaces.shared.limits import Route
from interfaces.shared.shell import API_LIMITED_BY, API_PUBLIC_KEYS, Install, Installed
from interfaces.web import PagesConfig

if TYPE_CHECKING:
    from application.provider.ports import ProviderTokens
    from interfaces.provider.server.models.config import OAuthConfig


def api_limits(settings: Settings) -> dict[Route, str]:
    """Each limited route of the JSON API with its limit, as the units say; a route two
    units claim stops the start."""
    found: dict[Route, str] = {}
    for unit in every_unit(settings):
        for route, limit in unit.limits(settings).items():
            if route in found:
                raise ValueError(f"two units limit {route[0]} {route[1]}")
            found[route] = limit
    return found


@dataclass(frozen=True)
class DrivingAdapter[Config]:
    """One driving adapter as the app shell installs it (an ``Install``): its package's
    ``install`` and the configuration the settings make for it."""

    install_with: Callable[[Flask, Config], Installed]
    config: Config

    def __call__(self, app: Flask) -> Installed:
        return self.install_with(app, self.config)


def driving_adapters(settings: Settings) -> list[Install]:
    """The JSON API, the pages, SCIM and, where it has keys, the provider: installed on the
    app shell in any order."""
    http_config = api.HttpConfig(
        cors_origins=tuple(settings.service.cors_origins),
        rate_limits=api_limits(settings),
        max_upload_bytes=settings.storage.max_upload_bytes,
        compat_routes=settings.migration.compat_routes,
        unit_blueprints=tuple(bp for unit in every_unit(settings) for bp in unit.api()),
        unit_compat_blueprints=tuple(
            bp for unit in every_unit(settings) for bp in unit.compat_api()
        ),
        limited_by=filled(every_unit(settings), API_LIMITED_BY),
        public_keys=filled(every_unit(settings), API_PUBLIC_KEYS),
    )
    script, origins = accounts.challenge_widget(settings)
    pages_config = PagesConfig(
        site_name=settings.branding.site_name,
        public_url=settings.service.public_url,
        local=settings.service.app_profile == "local",
        key=derived_key(settings.signin, b"pages csrf"),
        passkey_origins=tuple(settings.signin.webauthn_origins),
        email_code=settings.mail.passwordless_email,
        logo_url=settings.branding.site_logo_url,
        brand_color=settings.branding.brand_color,
        support_email=settings.branding.support_email,
        sso_acs_limit=settings.sso.rate_limit_sso_acs,
        challenge_script=script,
        challenge_origins=origins,
    )
    scim_config = ScimConfig(public_url=settings.service.public_url)
    installs: list[Install] = [
        DrivingAdapter(api.install, http_config),
        # the pages with what the units add to them, as the API with their blueprints
        DrivingAdapter(partial(pages.install, unit_pages=unit_pages(settings)), pages_config),
        DrivingAdapter(scim.install, scim_config),
    ]
    keys = provider_tokens(settings)
    if keys is not None:
        provider_config = ProviderConfig(
            server=ProviderServer(settings, keys).config,
            keys=keys,
            limits=ProviderLimits(
                token=settings.provider.rate_limit_oauth_token,
                introspect=settings.provider.rate_limit_oauth_introspect,
                register=settings.provider.rate_limit_oauth_register,
            ),
        )
        installs.append(DrivingAdapter(provider.install, provider_config))
    return installs


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
            dynamic_registration=settings.provider.oauth_dynamic_registration,
            forbidden_audiences=(settings.signin.jwt_audience, settings.signin.jwt_issuer),
            # DPoP's nonces, keyed as every instance is: each accepts the others' with nothing
            # stored (docs/decisions/0284-dpop-nonces-without-state.md).
            dpop=JwtProofs(derived_key(settings.signin, b"dpop nonces")),
            dpop_nonce=settings.provider.oauth_dpop_nonce,
            require_par=settings.provider.oauth_require_par,
        )
