"""The org's audit log names every event by a title in the page's language, its type beside
it (docs/pages.md, "Organizations"): whatever type an event stamped with the org has, the
page never shows the raw type alone, in English or Spanish."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from application.events.security_events import EVENT_TYPES
from bootstrap.events import EventsAdapters
from bootstrap.orgs import OrgsAdapters
from domain.events.security_events import SecurityEvent
from tests.support.admin_pages import org_owner
from tests.support.app import World

pytestmark = pytest.mark.unit
EVENTS = "/account/orgs/acme/events"
TITLE = re.compile(r'<p class="item-title"><strong>([^<]*)</strong> <code>([^<]+)</code></p>')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def titles(client: FlaskClient, language: str) -> dict[str, str]:
    """Every event of the log, page after page: its type and the title it is shown by."""
    found: dict[str, str] = {}
    path: str | None = EVENTS
    while path is not None:
        answer = client.get(path.replace("&amp;", "&"), headers={"Accept-Language": language})
        assert answer.status_code == 200
        page = answer.get_data(as_text=True)
        found.update({kind: title for title, kind in TITLE.findall(page)})
        more = NEXT.search(page)
        path = more.group(1) if more else None
    return found


@pytest.mark.parametrize(
    ("language", "applied"),
    [
        ("en", "Single sign-on draft applied"),
        ("es", "Borrador del inicio de sesión único aplicado"),
    ],
)
def test_every_event_type_the_org_log_can_show_has_a_title(language: str, applied: str) -> None:
    world = World()
    olga = org_owner(world)
    org = world.adapters.of(OrgsAdapters).orgs.find("acme")
    assert org is not None
    owner = world.store.usernames["olga"]
    now = world.clock.now()
    events = world.adapters.of(EventsAdapters).security_events
    for i, kind in enumerate(EVENT_TYPES):
        at = now + timedelta(seconds=i + 1)
        events.add(SecurityEvent(id=f"e{i}", at=at, type=kind, user_id=owner, org_id=org.id))
    shown = titles(olga, language)
    assert set(EVENT_TYPES) <= set(shown)
    assert [kind for kind in EVENT_TYPES if shown[kind] in ("", kind)] == []
    assert shown["org.sso_connection_draft_applied"] == applied
