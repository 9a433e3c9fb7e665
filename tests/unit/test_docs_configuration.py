"""docs/configuration.md and .env.example cannot drift from the code that reads the variables.

The settings tables of docs/configuration.md hold one row per field of a settings group (the
service's own, ``Settings``' fields, and each unit's, core or optional, that its record lists:
a field of ``SignInSettings`` is the variable of its name), in the form
``| `NAME` | `default` | meaning |``; the section "Server process" holds the variables that
only gunicorn.conf.py reads. A default is written as the environment would spell it:
``(none)`` for no value, ``(empty)`` for an empty string or list, lists comma-separated.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from pydantic import SecretStr

from bootstrap.units import every_unit
from infrastructure.settings import GROUPS, Settings
from infrastructure.settings.group import SettingsGroup
from tests.support.taken_out import taken_out
from tests.support.units import absent_units

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATION = ROOT / "docs" / "configuration.md"
ENV_EXAMPLE = ROOT / ".env.example"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
SERVER_SECTION = "Server process"

_ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*`([^`]*)`\s*\|.*\|\s*$")
# os.environ.get("NAME") or os.environ.get("NAME", "default"), either kind of quotes
_GUNICORN_READ = re.compile(
    r"""os\.environ\.get\(\s*["']([A-Z][A-Z0-9_]*)["']\s*(?:,\s*["']([^"']*)["'])?"""
)
_ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def unit_groups() -> dict[str, type[SettingsGroup]]:
    """The units' groups, the core's and the optional ones' (each unit's record names them),
    by their class's name."""
    return {
        group.__name__: group
        for unit in every_unit(Settings(app_profile="local"))
        for group in unit.settings
    }


ALL_GROUPS: dict[str, type[SettingsGroup]] = {**GROUPS, **unit_groups()}
ALL_VARIABLES = {name for group in ALL_GROUPS.values() for name in group.model_fields}


def of_an_absent_unit(section: str) -> bool:
    """Whether a section's title names a unit taken out of this tree (none in the suite's)."""
    words = set(re.findall(r"[a-z_]+", section.lower()))
    return bool(words & absent_units())


def absent_units_rows(text: str) -> set[str]:
    """The variables of the page's rows that ``documented`` passes over: an absent unit's."""
    section, found = "", set()
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        match = _ROW.match(line)
        if match and match.group(1).lower() not in ALL_VARIABLES and of_an_absent_unit(section):
            found.add(match.group(1))
    return found


def env_text(value: object) -> str:
    """A default as it would be written in the environment."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        value = ",".join(str(item) for item in value)
    text = str(value)
    return text or "(empty)"


def settings_defaults() -> dict[str, str]:
    return {
        name.upper(): env_text(field.get_default(call_default_factory=True))
        for group in ALL_GROUPS.values()
        for name, field in group.model_fields.items()
    }


def documented(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """(settings rows, server-process rows) of the configuration page: name -> default; a
    unit's variables left aside where scripts/remove_unit.py took it out of this copy."""
    unit_taken_out = taken_out().variables
    settings: dict[str, str] = {}
    server: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        match = _ROW.match(line)
        if match is None:
            continue
        name, default = match.groups()
        if name in unit_taken_out:
            continue
        rows = server if section.startswith(SERVER_SECTION) else settings
        assert name not in rows, f"{name} is documented twice"
        rows[name] = default
    return settings, server


def gunicorn_defaults() -> dict[str, str]:
    return {
        name: default or "(none)"
        for name, default in _GUNICORN_READ.findall(GUNICORN_CONF.read_text())
    }


def test_every_setting_is_documented_with_its_default() -> None:
    settings, _ = documented(CONFIGURATION.read_text())
    expected = settings_defaults()
    assert sorted(set(expected) - set(settings)) == [], "settings missing from the page"
    assert sorted(set(settings) - set(expected)) == [], "documented, but not a setting"
    wrong = {name: (settings[name], default) for name, default in expected.items()}
    assert {name: pair for name, pair in wrong.items() if pair[0] != pair[1]} == {}


def test_each_variable_belongs_to_one_group() -> None:
    """A variable is read into the group of the field of its name: two would be ambiguous."""
    fields = Counter(name for group in ALL_GROUPS.values() for name in group.model_fields)
    assert [name for name, count in fields.items() if count > 1] == []


def test_each_documented_variable_is_read_into_its_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """By its own name, whichever group holds it: no prefix, no nesting
    (docs/decisions/0350-settings-grouped-by-capability.md)."""
    settings, _ = documented(CONFIGURATION.read_text())
    given = {name: default for name, default in settings.items() if default != "(none)"}
    for name, default in given.items():
        monkeypatch.setenv(name, "" if default == "(empty)" else default)
    monkeypatch.setenv("APP_PROFILE", "local")  # production would refuse the local defaults
    read = Settings()
    found = {name.upper() for group in GROUPS for name in getattr(read, group).model_fields_set}
    for group in unit_groups().values():
        found |= {name.upper() for name in read.group(group).model_fields_set}
    assert sorted(set(given) - found) == []


def test_server_process_variables_match_gunicorn_conf() -> None:
    _, server = documented(CONFIGURATION.read_text())
    read = {
        name: default
        for name, default in gunicorn_defaults().items()
        if name.lower() not in ALL_VARIABLES
    }
    assert read, "gunicorn.conf.py reads no variables of its own?"
    assert server == read


def test_env_example_lists_every_variable_with_its_default() -> None:
    listed: dict[str, str] = {}
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = _ENV_LINE.match(line.strip())
        if match is None:
            continue
        name, value = match.groups()
        if name in taken_out().variables:  # a unit's, taken out of this copy
            continue
        listed.setdefault(name, value)
        if not line.startswith("#"):
            values[name] = value.strip() or "(empty)"
    settings, server = documented(CONFIGURATION.read_text())
    every = settings | server
    assert sorted(set(every) - set(listed)) == [], "variables missing from .env.example"
    passed_over = absent_units_rows(CONFIGURATION.read_text())
    left = set(listed) - set(every) - passed_over
    assert sorted(left) == [], "in .env.example, but not documented"
    values = {name: value for name, value in values.items() if name not in passed_over}
    # Uncommented lines show the defaults.
    wrong = {name: (value, every[name]) for name, value in values.items() if value != every[name]}
    assert wrong == {}
