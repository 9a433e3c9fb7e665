"""A unit of the tests' own that adds a section to an org's page (``ORG_SECTIONS``,
interfaces/web/orgs/org.py): "notes", between the roles' and the invitations', with its own
title, for those whose roles allow managing members. The pages' parts are the process's
(interfaces/web/__init__.py, ``_fold_once``) and those of the service's units
(bootstrap/units.py, ``unit_pages``): an app with this unit is made in a process of its own,
whose pages are the service's units' and this one's (``navigations``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from unittest.mock import patch

from flask.testing import FlaskClient
from flask_babel import lazy_gettext

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap.unit import Placed, Unit
from bootstrap.units import unit_pages
from domain.orgs.roles import Permission
from infrastructure.settings import Settings
from interfaces.web.parts import At, Pages
from tests.support.admin_pages import browser, org_owner
from tests.support.app import World

ACME = "/account/orgs/acme"
LINK = re.compile(r'<li><a href="([^"]+)"( aria-current="page")?>([^<]*)</a></li>')


def _pages() -> Pages:
    from interfaces.web.orgs.org import ORG_SECTIONS, OrgSection

    notes = OrgSection(
        "notes", "orgs/org.html", title=lazy_gettext("Notes"), seen_by=Permission.MANAGE_MEMBERS
    )
    return Pages(fills=(ORG_SECTIONS(At(35, notes)),))


NOTEBOOK = Unit[None](name="notebook", pages=_pages)


def _with_notebook(settings: Settings) -> tuple[Pages, ...]:
    return (*unit_pages(settings), _pages())


class NotebookWorld(World):
    """The app on the fakes with the tests' unit that adds the "notes" section."""

    def own_units(self) -> Sequence[Placed[Any]]:
        return (Placed(NOTEBOOK, None),)


def _navigation(client: FlaskClient, path: str) -> list[list[str]]:
    """The org's navigation on ``path``: each link's address, title and whether it is current."""
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    nav = answer.get_data(as_text=True).split('<nav class="area"', 1)[1].split("</nav>", 1)[0]
    return [
        [href, title, "current" if current else ""] for href, current, title in LINK.findall(nav)
    ]


def navigations() -> dict[str, list[list[str]]]:
    """The navigation an owner, an admin and a member of acme see on its settings' and its
    notes' addresses (a member's notes: the address serves whoever is a member)."""
    with patch("bootstrap.driving.unit_pages", _with_notebook):  # the service's units' and this
        world = NotebookWorld()
    people = {"olga": org_owner(world, "olga", "acme")}
    for name, role in (("ada", "admin"), ("mia", "member")):
        people[name] = browser(world, name)
        world.services.of(OrgServices).members.add_member(AddMember("acme", name, (role,)))
    return {
        f"{name} {path}": _navigation(client, path)
        for name, client in people.items()
        for path in (ACME, f"{ACME}/notes")
    }
