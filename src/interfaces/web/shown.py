"""How the pages show a device and a time (docs/pages.md, "Devices and times").

A device is named as people name it, "Chrome on Linux", from the same fixed lists of browser
and system names the new-device mail uses (``domain.user_agents``): never the user agent's own
text, which is whatever the client sent. A time is shown in the person's time zone: the
account's own setting, else the one this browser told (``static/time-zone.js`` keeps it in a
cookie), else UTC; within a day it reads "2 minutes ago", with the full time beside it
(docs/decisions/0262-devices-and-times-as-people-read-them.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

import pytz  # type: ignore[import-untyped]  # Flask-Babel's zone database
from babel.dates import format_timedelta
from flask import request
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from domain.user_agents import browser_and_system
from interfaces.web import browser

ZONE_COOKIE = "firegate_tz"  # set by the pages' script: the browser's zone, no secret
ZONES = frozenset(pytz.all_timezones)  # what may be chosen or told
LISTED = tuple(pytz.common_timezones)  # what the profile's list offers
DEFAULT_ZONE = "UTC"
RELATIVE_WITHIN = timedelta(days=1)


def device_name(user_agent: str | None) -> str:
    """ "Chrome on Linux", "Firefox", "Android", or "Unknown device"."""
    name, system = browser_and_system(user_agent)
    if name and system:
        return str(gettext("%(browser)s on %(system)s", browser=name, system=system))
    return name or system or str(gettext("Unknown device"))


def told_zone() -> str:
    """The time zone this browser told the pages, if one they know."""
    told = request.cookies.get(ZONE_COOKIE, "")
    return told if told in ZONES else ""


def time_zone() -> str:
    """Flask-Babel's time zone of this page: the signed-in account's, else this browser's,
    else UTC."""
    actor = browser.signed_in()
    chosen = actor.time_zone if actor is not None else None
    if chosen in ZONES:
        return str(chosen)
    return told_zone() or DEFAULT_ZONE


def ago(value: datetime) -> str:
    """``value`` as "2 minutes ago" when it is within a day before now, else ""."""
    passed = datetime.now(UTC) - value
    if not timedelta(0) <= passed < RELATIVE_WITHIN:
        return ""
    if passed < timedelta(seconds=45):
        return str(gettext("just now"))
    return str(format_timedelta(-passed, add_direction=True, locale=get_locale()))


@lru_cache(maxsize=1)
def _zone_options() -> str:
    return "".join(f'<option value="{zone}">{escape(zone)}</option>' for zone in LISTED)


def zone_options(chosen: str | None) -> Markup:
    """The ``<option>``s of the time zones listed, ``chosen`` selected (built once: the list
    is long and the same on every page)."""
    options = _zone_options()
    if chosen and chosen not in LISTED:  # a zone told or kept from elsewhere: still offered
        options = f'<option value="{escape(chosen)}">{escape(chosen)}</option>' + options
    if chosen:
        mark = f'<option value="{escape(chosen)}">'
        options = options.replace(mark, mark[:-1] + " selected>", 1)
    return Markup(options)  # noqa: S704 - names from the zone database, escaped
