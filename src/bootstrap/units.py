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
    from interfaces.web.parts import Pages

# The core's units, which own the slots the others fill: always on, in the capability order.
CORE_UNITS = (
    "accounts",
    "hooks",
    "signin",
    "federation",
    "mail",
    "events",
    "orgs",
    "clients",
    "sso",
    "scim",
    "provider",
    "migration",
)

UNITS: tuple[str, ...] = (
    # one per line, in the capability order: a line is what taking a unit out deletes
    "tasks",
    "dogs",
    "datasets",
    "files",
    "phone",
    "guests",
    "support_access",
    "agents",
    "org_brand",
    "native_apps",
    "log_streams",
    "shared_signals",
)


@cache
def _unit(name: str) -> Unit[Any]:
    found: Unit[Any] = import_module(f"bootstrap.{name}").UNIT
    return found


def core_units() -> tuple[Unit[Any], ...]:
    """The core's units, in the capability order."""
    return tuple(_unit(name) for name in CORE_UNITS)


def units_on(settings: Settings) -> tuple[Unit[Any], ...]:
    """The optional units this service runs: every one that UNITS_OFF does not name."""
    off = set(settings.service.units_off)
    core = sorted(off & set(CORE_UNITS))
    if core:
        raise ValueError(f"UNITS_OFF: {', '.join(core)} cannot be left out (the core's)")
    unknown = sorted(off - set(UNITS))
    if unknown:
        names = ", ".join(unknown)
        raise ValueError(f"UNITS_OFF: no unit is named {names} (the units: {', '.join(UNITS)})")
    return tuple(_unit(name) for name in UNITS if name not in off)


def every_unit(settings: Settings) -> tuple[Unit[Any], ...]:
    """The core's units, then the optional ones this service runs: what the shell's
    registries iterate."""
    return (*core_units(), *units_on(settings))


def running(settings: Settings) -> tuple[str, ...]:
    """The names of ``every_unit``: a unit's own catalogue and mail templates are found in
    folders named by it (docs/decisions/0870-a-units-strings-and-mails-in-its-folders.md)."""
    return tuple(unit.name for unit in every_unit(settings))


def check_units(settings: Settings) -> None:
    """What a start refuses of the units: a name UNITS_OFF gives that is no optional unit,
    a value of a unit's settings that its group refuses, the core's and the optional units'
    alike (ValueError, ValidationError): every problem at once (``Settings.check``)."""
    settings.check(group for unit in every_unit(settings) for group in unit.settings)


def check_core(settings: Settings) -> None:
    """``check_units`` of the core's units only (the settings the core alone reads)."""
    settings.check(group for unit in core_units() for group in unit.settings)


def import_units(settings: Settings) -> None:
    """The units this service runs, with their route and page modules, imported by gunicorn's master
    before it forks, as every module of the service is (gunicorn.conf.py,
    docs/decisions/0453-one-import-in-the-master.md); a unit left out stays out."""
    for unit in every_unit(settings):
        unit.api()
        unit.compat_api()
        if unit.pages is not None:
            unit.pages()


def unit_pages(settings: Settings) -> tuple[Pages, ...]:
    """What the units this service runs add to the pages, in the units' order; loading
    them imports their page modules."""
    return tuple(unit.pages() for unit in every_unit(settings) if unit.pages is not None)
