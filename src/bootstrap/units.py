"""Every unit of the service, once, one per line, in the capability order: a unit's line
names its ``bootstrap/<unit>.py``, whose ``UNIT`` says what it adds (bootstrap/unit.py,
docs/contributing.md "Units"). Deleting a unit's folders and its line takes it out; a unit
named in UNITS_OFF is not imported at all."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bootstrap.unit import Unit
    from infrastructure.settings import Settings

UNITS = (
    "tasks",
    "datasets",
    "files",
)


@cache
def _unit(name: str) -> Unit[Any]:
    found: Unit[Any] = import_module(f"bootstrap.{name}").UNIT
    return found


def units_on(settings: Settings) -> tuple[Unit[Any], ...]:
    """The units this service runs: every one that UNITS_OFF does not name."""
    off = set(settings.service.units_off)
    unknown = sorted(off - set(UNITS))
    if unknown:
        raise ValueError(
            f"UNITS_OFF: no unit is named {', '.join(unknown)} (units: {', '.join(UNITS)})"
        )
    return tuple(_unit(name) for name in UNITS if name not in off)


def check_units(settings: Settings) -> None:
    """What a start refuses of the units: a name UNITS_OFF gives that is no unit, a value of
    a unit's own settings that its group refuses (ValueError, ValidationError)."""
    for unit in units_on(settings):
        for group in unit.settings:
            settings.unit_group(group)


def import_units(settings: Settings) -> None:
    """The units this service runs, their route modules too, imported by gunicorn's master
    before it forks, as every module of the service is (gunicorn.conf.py,
    docs/decisions/0453-one-import-in-the-master.md); a unit left out stays out."""
    for unit in units_on(settings):
        for load in (*unit.api, *unit.compat_api):
            load()
