"""The API's rules are registered from a table before their modules are imported
(docs/decisions/0440-route-modules-on-first-use.md): the table is what the modules make, the
app's rules are theirs exactly, and a rule's first request serves the module's own view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from interfaces.http.app import COMPAT_MODULES, ROUTE_MODULES, route_tables
from interfaces.http.converters import CONVERTERS
from interfaces.http.route_table import COMPAT_ROUTES, ROUTES
from interfaces.provider import PAGE_MODULES as PROVIDER_PAGE_MODULES
from interfaces.provider import page_tables as provider_page_tables
from interfaces.provider.route_table import PAGES as PROVIDER_PAGES
from interfaces.shared.lazy_views import (
    LazyView,
    TableRow,
    blueprints_app,
    register_lazily,
    resolved,
)
from interfaces.web import page_tables, pages_app
from interfaces.web.route_table import PAGES
from tests.support.api import register

pytestmark = pytest.mark.unit


def test_the_table_is_what_the_route_modules_make() -> None:
    """Fails after a route is added, removed or changed until scripts/route_table.py is run."""
    assert route_tables() == {"ROUTES": list(ROUTES), "COMPAT_ROUTES": list(COMPAT_ROUTES)}
    assert page_tables() == {"PAGES": list(PAGES)}
    assert provider_page_tables() == {"PAGES": list(PROVIDER_PAGES)}


def rules(app: Flask) -> list[tuple[Any, ...]]:
    return [
        (
            rule.rule,
            rule.endpoint,
            tuple(sorted(rule.methods or ())),
            getattr(rule, "provide_automatic_options", None),
            rule.strict_slashes,
            rule.defaults or None,  # a blueprint gives {}, the same as none
            rule.redirect_to,
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    ]


@pytest.mark.parametrize("table", ["api", "compat", "pages", "provider"])
def test_the_rules_from_the_table_are_the_blueprints_own(table: str) -> None:
    made: dict[str, tuple[Callable[[], Flask], tuple[TableRow, ...]]] = {
        "api": (lambda: blueprints_app(ROUTE_MODULES, CONVERTERS), ROUTES),
        "compat": (lambda: blueprints_app(COMPAT_MODULES, CONVERTERS), COMPAT_ROUTES),
        "pages": (pages_app, PAGES),
        "provider": (lambda: blueprints_app(PROVIDER_PAGE_MODULES, {}), PROVIDER_PAGES),
    }
    make, rows = made[table]
    eager = make()
    lazy = Flask(__name__, static_folder=None)
    lazy.url_map.converters.update(CONVERTERS)
    register_lazily(lazy, rows)
    # The pages' modules share a blueprint, whose rules come in the order the modules were
    # imported in: their table has them by module (werkzeug matches rules by their parts).
    if table == "pages":
        assert sorted(rules(lazy)) == sorted(rules(eager))
    else:
        assert rules(lazy) == rules(eager)
    for endpoint, view in lazy.view_functions.items():
        assert isinstance(view, LazyView)
        assert resolved(view) is eager.view_functions[endpoint]


def test_the_app_serves_its_routes_through_stand_ins(fake_app: Flask) -> None:
    """Every API view of the app is a stand-in, and its first request is served by the
    module's view: a registration, and a compatibility route's view made by a call."""
    stand_ins = {
        endpoint: view
        for endpoint, view in fake_app.view_functions.items()
        if isinstance(view, LazyView)
    }
    tables = (*ROUTES, *COMPAT_ROUTES, *PAGES, *PROVIDER_PAGES)
    assert len(stand_ins) == sum(len(rules) for _module, rules in tables)
    client = fake_app.test_client()
    assert client.get("/healthz").status_code == 200
    register(client, "lazy-alice")
    login_api = next(rules for module, rules in COMPAT_ROUTES if module.endswith("login_api"))
    made = [endpoint for name, _rule, endpoint, _methods, _options in login_api if not name]
    assert "login_api.get_user" in made  # made by same_as(...): found in the blueprint
    assert callable(resolved(stand_ins["login_api.get_user"]))
    assert client.get("/account", headers={"Accept": "text/html"}).status_code == 303  # signed out
