"""What the units add to the pages (``Unit.pages``, interfaces/web/parts.py), folded: the
sections in the navigation's order by their places, whichever unit gives them, and what two
units may not both give (docs/decisions/0730-the-pages-sections-keep-their-place.md)."""

from __future__ import annotations

import pytest

from bootstrap.units import unit_pages
from interfaces.shared.limits import LimitedAs
from interfaces.web.accounts.account import ACCOUNT_SECTIONS
from interfaces.web.accounts.admin import ADMIN_ACTIONS
from interfaces.web.orgs.org import ORG_SECTIONS
from interfaces.web.parts import At, Pages, folded, in_place
from interfaces.web.signin.signed_out import HOME_REALMS, NO_HOME_REALM, home_realm
from tests.support.app import DEFAULT_SETTINGS
from tests.support.units import absent_units

pytestmark = pytest.mark.unit


def test_parts_are_in_place_and_two_at_one_place_keep_the_units_order() -> None:
    assert in_place([At(20, "b"), At(10, "a"), At(20, "c"), At(5, "first")]) == (
        "first",
        "a",
        "b",
        "c",
    )


def test_the_sections_of_every_unit_keep_the_navigations_order() -> None:
    every = folded(unit_pages(DEFAULT_SETTINGS))
    area = [section.path for section in in_place(every.of(ACCOUNT_SECTIONS))]
    assert area == [
        "/account",
        "/account/security",
        "/account/devices",
        "/account/apps",
        "/account/activity",
        "/account/delete",
    ]
    org = [section.name for section in in_place(every.of(ORG_SECTIONS))]
    assert org == [  # but a unit's taken out of a copy (its sections, by the unit's name)
        name
        for name, unit in (
            ("settings", "orgs"),
            ("members", "orgs"),
            ("roles", "orgs"),
            ("invitations", "orgs"),
            ("domains", "orgs"),
            ("sso", "sso"),
            ("scim", "scim"),
            ("apps", "clients"),
            ("agents", "agents"),
            ("brand", "org_brand"),
            ("log-streams", "log_streams"),
            ("events", "orgs"),
            ("delete", "orgs"),
        )
        if unit not in absent_units()
    ]
    assert [action.name for action in every.of(ADMIN_ACTIONS)] == [
        "end-sessions",
        "reset-mfa",
        "send-verification",
    ]


def test_two_units_may_not_limit_one_page_route() -> None:
    limited = {("POST", "/sign-in"): LimitedAs("POST", "/login", "login.login")}
    with pytest.raises(ValueError, match="limit POST /sign-in"):
        folded([Pages(limited_as=limited), Pages(limited_as=limited)])


def test_two_units_may_not_both_give_home_realm_discovery() -> None:
    with pytest.raises(ValueError, match="home-realm"):
        home_realm(
            folded([Pages(fills=(HOME_REALMS(NO_HOME_REALM),)) for _unit in ("one", "other")])
        )
