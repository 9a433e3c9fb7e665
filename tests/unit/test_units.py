"""The units (src/bootstrap/units.py): each named once; the ones UNITS_OFF names are not
imported and serve no route; a name that is no unit stops the start."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from flask import Flask
from pydantic import ValidationError

from bootstrap.driving import api_limits
from bootstrap.units import CORE_UNITS, UNITS, core_units, every_unit, units_on
from domain.accounts.outlasting import OUTLASTING_ROUTES
from domain.slots import filled
from interfaces.cli import CommandGroup, Commands, install_cli
from tests.support.app import World
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]

# The app's routes with the units named left out, each set in a process of its own: the
# pages' parts are the process's (interfaces/web/__init__.py, ``_fold_once``); and, with all
# the optional units left out, the modules of theirs that the process imported as it built
# the app and served a request (one process for both: each costs ~1.7 s of CPU).
RULES = """
import json
import sys
from tests.support.app import World

app = World(units_off=",".join(sys.argv[1:])).app
print(json.dumps(sorted({rule.rule for rule in app.url_map.iter_rules()})))
"""

LEFT_OUT = """
import json
import sys
from tests.support.app import World

units = sys.argv[1:]
world = World(units_off=",".join(units))
world.client.get("/healthz")
loaded = sorted(
    name
    for name in sys.modules
    if name.split(".")[0] in ("domain", "application", "infrastructure", "interfaces", "bootstrap")
    and any(part in units for part in name.split(".")[1:])
)
rules = sorted({rule.rule for rule in world.app.url_map.iter_rules()})
print(json.dumps({"rules": rules, "loaded": loaded}))
"""


def _run(code: str, units: Sequence[str] = UNITS) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *units],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@functools.cache
def _all_left_out() -> dict[str, list[str]]:
    """The routes and the units' imported modules of an app without every optional unit."""
    found: dict[str, list[str]] = json.loads(_run(LEFT_OUT))
    return found


def test_each_unit_is_named_once() -> None:
    assert UNITS and len(set(UNITS)) == len(UNITS)
    assert [unit.name for unit in units_on(make_settings())] == list(UNITS)


def test_units_left_out_serve_no_route_and_take_none_from_the_core() -> None:
    rules, rules_off = set(json.loads(_run(RULES, ()))), set(_all_left_out()["rules"])
    assert rules - rules_off and not rules_off - rules


def test_units_left_out_are_not_imported() -> None:
    assert _all_left_out()["loaded"] == []


def test_the_cores_outlasting_routes_are_its_own() -> None:
    """Each unit names its own routes that outlast a session (``OUTLASTING_ROUTES``): the
    core's are served with every optional unit left out."""
    named = {
        rule for _kind, routes in filled(core_units(), OUTLASTING_ROUTES) for _, rule in routes
    }
    served = set(_all_left_out()["rules"])
    assert named <= served, named - served


def test_a_name_that_is_no_unit_stops_the_start() -> None:
    with pytest.raises((ValueError, ValidationError), match="no unit is named nosuch"):
        units_on(make_settings(units_off="nosuch"))


def test_the_core_cannot_be_left_out() -> None:
    with pytest.raises(ValueError, match="accounts cannot be left out"):
        units_on(make_settings(units_off="accounts"))


def test_the_core_units_and_the_optional_ones_say_which_they_are() -> None:
    settings = make_settings()
    core = [unit for unit in every_unit(settings) if not unit.optional]
    assert [unit.name for unit in core] == list(CORE_UNITS)
    assert all(unit.optional for unit in units_on(settings))


def test_every_blueprint_of_the_api_is_a_units_or_the_shells() -> None:
    settings = make_settings()
    app = World().app
    from_units = {bp.name for unit in every_unit(settings) for bp in unit.api()}
    from_units |= {bp.name for unit in every_unit(settings) for bp in unit.compat_api()}
    api = {
        name
        for name, blueprint in app.blueprints.items()
        if blueprint.import_name.startswith("interfaces.http.routes.")
    }
    shell = api - from_units
    assert from_units <= set(app.blueprints)
    assert shell <= {"health", "jobs", "datasets", "files", "dogs", "dogs_api"}, shell


def test_commands_for_a_group_no_unit_declares_stop_the_app() -> None:
    app = Flask("cli")
    commands = [Commands("nosuch", lambda: ())]
    with pytest.raises(ValueError, match="no unit declares: nosuch"):
        install_cli(app, groups=[CommandGroup("users", "accounts")], commands=commands)


def test_each_group_of_the_command_line_is_declared_once_and_has_commands() -> None:
    units = every_unit(make_settings())
    groups = [group.name for unit in units for group in unit.cli_groups]
    assert len(groups) == len(set(groups))
    filled = {part.group for unit in units for part in unit.cli}
    assert filled == set(groups)


def test_each_limited_route_is_a_route_of_the_app_with_that_method() -> None:
    settings = make_settings()
    limited = api_limits(settings)
    assert ("POST", "/login") in limited and ("POST", "/register") in limited
    app = World().app
    served = {
        (method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods or ()
    }
    assert set(limited) <= served, set(limited) - served
