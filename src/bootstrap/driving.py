"""The driving adapters (the JSON API, the pages, the provider, SCIM) as the settings make
them: what the composition root hands the app shell (docs/reference/index.md, "One app,
four adapters"). The JSON API and the pages are the shell's; a core unit that brings a
driving adapter of its own (the provider, SCIM) fills ``DRIVING_ADAPTERS``, one that sets a
part of the pages' configuration from its settings (the accounts' challenge widget, sign-in's
CSRF key and passkey origins, mail's codes, single sign-on's limit) ``PAGES_CONFIGURED``, and
one that sets a part of the API's (migration's replaced routes) ``API_CONFIGURED``
(bootstrap/drivers.py)."""

from __future__ import annotations

from functools import partial

from bootstrap.drivers import API_CONFIGURED, DRIVING_ADAPTERS, PAGES_CONFIGURED, DrivingAdapter
from bootstrap.units import every_unit, running, unit_pages
from domain.slots import filled
from infrastructure.settings import Settings
from interfaces import web as pages
from interfaces.http import app as api
from interfaces.shared.limits import Route
from interfaces.shared.shell import API_LIMITED_BY, API_PUBLIC_KEYS, Install
from interfaces.web import PagesConfig, catalogues


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


def driving_adapters(settings: Settings) -> list[Install]:
    """The JSON API, the pages and the core units' own (SCIM and, where it has keys, the
    provider): installed on the app shell in any order."""
    http_config = api.HttpConfig(
        cors_origins=tuple(settings.service.cors_origins),
        rate_limits=api_limits(settings),
        max_upload_bytes=settings.storage.max_upload_bytes,
        compat_routes=False,  # unless a unit serves them (API_CONFIGURED)
        unit_blueprints=tuple(bp for unit in every_unit(settings) for bp in unit.api()),
        unit_compat_blueprints=tuple(
            bp for unit in every_unit(settings) for bp in unit.compat_api()
        ),
        limited_by=filled(every_unit(settings), API_LIMITED_BY),
        public_keys=filled(every_unit(settings), API_PUBLIC_KEYS),
    )
    pages_config = PagesConfig(
        site_name=settings.branding.site_name,
        public_url=settings.service.public_url,
        local=settings.service.app_profile == "local",
        logo_url=settings.branding.site_logo_url,
        brand_color=settings.branding.brand_color,
        support_email=settings.branding.support_email,
    )
    units = every_unit(settings)
    for configure_api in filled(units, API_CONFIGURED):
        http_config = configure_api(settings, http_config)
    for configure in filled(units, PAGES_CONFIGURED):
        pages_config = configure(settings, pages_config)
    installs: list[Install] = [
        DrivingAdapter(api.install, http_config),
        # the pages with what the units add to them, as the API with their blueprints
        # and their strings, from the core's catalogue and the units' (their folders)
        DrivingAdapter(
            partial(
                pages.install,
                unit_pages=unit_pages(settings),
                translations=catalogues(running(settings)),
            ),
            pages_config,
        ),
    ]
    for adapter in filled(units, DRIVING_ADAPTERS):
        install = adapter(settings)
        if install is not None:
            installs.append(install)
    return installs
