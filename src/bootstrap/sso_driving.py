"""Single sign-on's part of the pages' configuration (``PAGES_CONFIGURED``,
bootstrap/driving.py): the limit of the IdPs' answers per address (RATE_LIMIT_SSO_ACS); and
its routes that outlast a session (``OUTLASTING_ROUTES``)."""

from __future__ import annotations

from dataclasses import replace

from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from infrastructure.settings import Settings
from infrastructure.settings.orgs_and_apps.sso import SsoSettings
from interfaces.web import PagesConfig


def sso_pages(settings: Settings, config: PagesConfig) -> PagesConfig:
    """The pages' configuration with single sign-on's settings."""
    return replace(config, sso_acs_limit=settings.group(SsoSettings).rate_limit_sso_acs)


# Its routes that make or change what outlasts a session (an org's single sign-on: its
# connections, policy and setup links), by kind: a session of support access is refused them
# (the accounts' ``OUTLASTING_ROUTES``).
OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.ORG_SETTINGS,
        (
            ("POST", "/orgs/<org>/connections"),
            ("PATCH", "/orgs/<org>/connections/<connection_id>"),
            ("DELETE", "/orgs/<org>/connections/<connection_id>"),
            ("POST", "/orgs/<org>/sso/setup-links"),
            ("DELETE", "/orgs/<org>/sso/setup-links/<connection_id>"),
            ("POST", "/account/orgs/<org>/sso/policy"),
            ("POST", "/account/orgs/<org>/sso/setup-links"),
            ("POST", "/account/orgs/<org>/sso/<connection_id>/name"),
            ("POST", "/account/orgs/<org>/sso/<connection_id>/status"),
            ("POST", "/account/orgs/<org>/sso/<connection_id>/idp-initiated"),
            ("POST", "/account/orgs/<org>/sso/<connection_id>/delete"),
        ),
    ),
)
