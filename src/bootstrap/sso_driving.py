"""Single sign-on's part of the pages' configuration (``PAGES_CONFIGURED``,
bootstrap/driving.py): the limit of the IdPs' answers per address (RATE_LIMIT_SSO_ACS)."""

from __future__ import annotations

from dataclasses import replace

from infrastructure.settings import Settings
from infrastructure.settings.orgs_and_apps.sso import SsoSettings
from interfaces.web import PagesConfig


def sso_pages(settings: Settings, config: PagesConfig) -> PagesConfig:
    """The pages' configuration with single sign-on's settings."""
    return replace(config, sso_acs_limit=settings.group(SsoSettings).rate_limit_sso_acs)
