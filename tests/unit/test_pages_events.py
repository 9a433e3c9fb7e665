"""The recent activity on /account and on /admin/users/<id>, on fakes (docs/pages.md)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from tests.unit.test_email_flows import World
from tests.unit.test_pages_admin import browser, post, root, user

pytestmark = pytest.mark.unit
__all__ = ["root"]  # a fixture


@pytest.fixture
def world() -> World:
    """Time moves a microsecond at each reading: what happens in turn sorts in turn."""
    w = World()
    w.clock.tick = timedelta(microseconds=1)
    return w


def activity(html: str) -> list[tuple[str, str, str]]:
    """The rows of the activity table: what, IP address, device."""
    section = html.split('id="events-heading"', 1)[1].split("</section>", 1)[0]
    return re.findall(
        r"<tr>\s*<td><time[^>]*>[^<]*</time></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*"
        r'<td class="device">([^<]*)</td>',
        section,
    )


def test_the_account_page_shows_recent_activity_newest_first(world: World) -> None:
    alice = browser(world, "alice")
    wrong = world.client.post(
        "/login",
        json={"username": "alice", "password": "not the password"},
        headers={"User-Agent": "Guesser/1.0"},
    )
    assert wrong.status_code == 401
    html = alice.get("/account").get_data(as_text=True)
    assert "Recent activity" in html
    rows = activity(html)
    assert [what for what, _, _ in rows] == ["Failed sign-in", "Signed in", "Account created"]
    assert rows[0][1:] == ("127.0.0.1", "Guesser/1.0")
    assert rows[2][1:] == ("—", "Unknown device")  # a sign-up records neither


def test_the_activity_is_in_the_accounts_language(world: World) -> None:
    alice = browser(world, "alice")
    html = alice.get("/account", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Actividad reciente" in html
    assert [what for what, _, _ in activity(html)] == ["Sesión iniciada", "Cuenta creada"]


def test_an_admin_sees_a_users_activity_and_who_acted(world: World, root: FlaskClient) -> None:
    browser(world, "bob")
    page = f"/admin/users/{user(world, 'bob').id}"
    assert post(root, page, page, disabled="true")[0] == 303
    rows = activity(root.get(page).get_data(as_text=True))
    assert [what for what, _, _ in rows] == [
        "Account disabled (by an administrator)",
        "Signed in",
        "Account created",
    ]
    # A refused action re-renders the page with the activity still on it.
    status, _, html = post(root, page, page, role="emperor")
    assert status == 422
    assert activity(html)[0][0] == "Account disabled (by an administrator)"
