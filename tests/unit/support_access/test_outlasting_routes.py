"""What a session of support access is refused is what the running units name (the accounts'
slot ``OUTLASTING_ROUTES``, docs/contributing.md "Units"): each unit its own routes, in its
record. The guard, and the pages' forms shown disabled, are made of what the running units
name, once, when the app is built: a unit's routes reach both, and a unit left out takes its
routes with it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest

from application.signin.authentication import Route
from bootstrap import bind
from bootstrap.unit import Placed, Unit
from bootstrap.units import UNITS, every_unit, units_on
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting, outlasting_routes
from domain.slots import filled
from interfaces.web.support_access.impersonation import WHY, refused_routes
from tests.support.api import admin_token, login, register
from tests.support.app import World, fake_adapters
from tests.support.settings import make_settings
from tests.unit.support_access.fakes import Acting, acting, page_post, refused

pytestmark = pytest.mark.unit

# A route of sign-in's pages that no unit names (ending one's other sessions ends access):
# the tests' own unit below names it, so that its filling alone is what refuses it.
END_OTHERS: Route = ("POST", "/account/sessions/end-others")
PROBE = Unit[None](name="probe", fills=(OUTLASTING_ROUTES((Outlasting.FACTORS, (END_OTHERS,))),))
FORM = re.compile(r'<form method="post" action="/account/sessions/end-others">(.*?)</form>', re.S)


class ProbeWorld(World):
    """The app on the fakes with every unit of the service's and the tests' probe (which
    adds no page: the pages are the same as the service's)."""

    def own_units(self) -> Sequence[Placed[Any]]:
        return (Placed(PROBE, None),)


def acting_as_alice(world: World) -> Acting:
    """A session of support access of alice's, started by an admin, beside her own."""
    root = admin_token(world.app, world.client)
    alice = register(world.client, "alice")["id"]
    login(world.client, "alice")
    return acting(world.app, world.client, f"/admin/users/{alice}/impersonate", root)


def end_others_form(who: Acting) -> str:
    """The devices page's "End all other sessions" form, as the session is shown it."""
    form = FORM.search(who.browser.get("/account/devices").get_data(as_text=True))
    assert form is not None
    return form[1]


def routes_of(units: Sequence[Unit[Any]]) -> set[Route]:
    return {route for _kind, routes in filled(units, OUTLASTING_ROUTES) for route in routes}


def test_a_units_routes_reach_the_guard_and_the_pages() -> None:
    world = ProbeWorld()
    # Exactly every unit's routes, each with the kind its unit gives it: the probe's too.
    expected = outlasting_routes(filled((*every_unit(world.settings), PROBE), OUTLASTING_ROUTES))
    assert refused(world.app) == expected and expected[END_OTHERS] is Outlasting.FACTORS
    who = acting_as_alice(world)
    answer = page_post(who, END_OTHERS[1])
    assert (answer.status_code, answer.get_json()["code"]) == (403, "impersonation_forbidden")
    # The pages read the guard's own routes: the form is shown disabled, saying why.
    with world.app.test_request_context("/account/devices"):
        assert refused_routes() is refused(world.app)
    form = end_others_form(who)
    assert '<fieldset class="refused" disabled' in form and str(WHY[Outlasting.FACTORS]) in form


def test_without_the_unit_its_route_is_neither_refused_nor_shown_disabled() -> None:
    world = World()
    assert END_OTHERS not in refused(world.app)
    who = acting_as_alice(world)
    assert 'class="refused"' not in end_others_form(who)
    assert page_post(who, END_OTHERS[1]).status_code != 403


def test_a_unit_left_out_takes_its_routes_with_it() -> None:
    """Every optional unit left out but support access (its services bound, no app: the
    pages' parts are the process's): the guard holds the core's routes and support access's
    own, none of the others'."""
    others = [name for name in UNITS if name != "support_access"]
    settings = make_settings(units_off=",".join(others))
    guard = refused(bind(settings, fake_adapters(settings)))
    left_out = [unit for unit in units_on(make_settings()) if unit.name in others]
    assert set(guard) == routes_of(every_unit(settings))
    assert routes_of(left_out) and not routes_of(left_out) & set(guard)
