"""The recent activity on /account and on /admin/users/<id>, on fakes (docs/pages.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from bootstrap.accounts import AccountsAdapters
from domain.accounts.credentials import Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.ids import new_id
from tests.support.admin_pages import browser, post, root, user
from tests.support.api import PASSWORD
from tests.support.app import World
from tests.support.pages import csrf
from tests.support.user_agents import FIREFOX

pytestmark = pytest.mark.unit
__all__ = ["root"]  # a fixture


@pytest.fixture
def world() -> World:
    """Time moves a microsecond at each reading: what happens in turn sorts in turn."""
    w = World()
    w.clock.tick = timedelta(microseconds=1)
    return w


def activity(html: str) -> list[tuple[str, str, str]]:
    """The lines of the activity list: what, IP address, device."""
    section = html.split('id="events-heading"', 1)[1].split("</section>", 1)[0]
    return [
        (what, ip, device)
        for what, device, ip in re.findall(
            r'<strong class="what"[^>]*>([^<]*)</strong>.*?<span class="device">([^<]*)</span>'
            r' · <span class="ip">([^<]*)</span>',
            section,
            re.S,
        )
    ]


def test_the_account_page_shows_recent_activity_newest_first(world: World) -> None:
    alice = browser(world, "alice")
    wrong = world.client.post(
        "/login",
        json={"username": "alice", "password": "not the password"},
        headers={"User-Agent": "Guesser/1.0"},
    )
    assert wrong.status_code == 401
    html = alice.get("/account/activity").get_data(as_text=True)
    assert "Recent activity" in html
    rows = activity(html)
    assert [what for what, _, _ in rows] == ["Failed sign-in", "Signed in", "Account created"]
    assert rows[0][1:] == ("127.0.0.1", "Unknown device")  # no name of ours: no text of its
    assert rows[2] == ("Account created", "127.0.0.1", "Unknown device")  # the test client
    assert "Guesser" not in html and "Werkzeug" not in html


def test_failed_sign_ins_in_a_row_are_one_line_and_no_user_agent_is_shown(
    world: World,
) -> None:
    """Anyone who knows the username can fail to sign in to it, from 12 addresses with a
    user agent of their choice: one line, the count, no text of theirs unlabelled."""
    alice = browser(world, "alice")
    for n in range(12):
        wrong = world.client.post(
            "/login",
            json={"username": "alice", "password": "not the password"},
            headers={"User-Agent": f"Call +1-555-0{n:03} <b>now</b>"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"},
        )
        assert wrong.status_code == 401
    html = alice.get("/account/activity").get_data(as_text=True)
    rows = activity(html)
    assert len(rows) == 3  # not 14
    what, ip, device = rows[0]
    assert what.startswith("12 failed sign-ins in a row, the first at ")
    assert (ip, device) == ("12 addresses", "12 different clients")
    assert "Call +1-555" not in html and "<b>now</b>" not in html
    once = world.client.post(
        "/login",
        json={"username": "alice", "password": PASSWORD},
        headers={"User-Agent": "Call +1-555-0100 <b>now</b>"},
    )
    assert once.status_code == 200
    assert (
        world.client.post(
            "/login",
            json={"username": "alice", "password": "wrong"},
            headers={"User-Agent": "Call +1-555-0100 <b>now</b>"},
        ).status_code
        == 401
    )
    html = alice.get("/account/activity", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert activity(html)[0][2] == "Dispositivo desconocido"  # one failure: never its text
    assert activity(html)[0][0] == "Inicio de sesión fallido" and "Call +1-555" not in html


def test_the_activity_is_in_the_accounts_language(world: World) -> None:
    alice = browser(world, "alice")
    html = alice.get("/account/activity", headers={"Accept-Language": "es"}).get_data(as_text=True)
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


def test_the_owner_sees_an_admins_change_without_the_admins_address_or_browser(
    world: World, root: FlaskClient
) -> None:
    bob = browser(world, "bob")
    page = f"/admin/users/{user(world, 'bob').id}"
    root.environ_base = {**root.environ_base, "REMOTE_ADDR": "203.0.113.7"}
    root.environ_base["HTTP_USER_AGENT"] = FIREFOX
    for disabled in ("true", "false"):
        assert post(root, page, page, disabled=disabled)[0] == 303
    admin_view = activity(root.get(page).get_data(as_text=True))
    assert admin_view[0] == (
        "Account enabled (by an administrator)",
        "203.0.113.7",
        "Firefox on Linux",
    )
    form = {"username": "bob", "password": PASSWORD, "csrf_token": csrf(bob, "/sign-in")}
    assert bob.post("/sign-in", data=form).status_code == 303  # disabling signed him out
    html = bob.get("/account/activity").get_data(as_text=True)
    assert "203.0.113.7" not in html and "Firefox" not in html
    assert activity(html)[1:3] == [
        ("Account enabled (by an administrator)", "—", "—"),
        ("Account disabled (by an administrator)", "—", "—"),
    ]


# -- "This wasn't me" beside each sign-in (docs/pages.md, /account)


def test_each_sign_in_but_this_browsers_has_a_this_wasnt_me_button_on_the_owners_page_only(
    world: World, root: FlaskClient
) -> None:
    alice = browser(world, "alice")
    world.client.post("/login", json={"username": "alice", "password": "not the password"})
    signed_in = world.client.post(
        "/login", json={"username": "alice", "password": PASSWORD}, headers={"User-Agent": FIREFOX}
    )
    assert signed_in.status_code == 200
    html = alice.get("/account/activity").get_data(as_text=True)
    section = html.split('id="events-heading"', 1)[1].split("</section>", 1)[0]
    lines = section.split("<li>")[1:]
    # The other sign-in (from a new device: two events), not the failed one, not this
    # browser's own sign-in, nor the sign-up.
    assert [line.count('action="/account/not-me"') for line in lines] == [1, 1, 0, 0, 0]
    assert "Firefox on Linux" in lines[0] and "Firefox on Linux" in lines[1]
    assert [("This browser" in line) for line in lines] == [False, False, False, True, False]
    forms = re.findall(r'<form method="post" action="/account/not-me">(.*?)</form>', section, re.S)
    assert 'name="csrf_token"' in forms[0] and "This wasn't me" in forms[0]
    page = f"/admin/users/{user(world, 'alice').id}"
    assert "/account/not-me" not in root.get(page).get_data(as_text=True)


def test_the_button_ends_every_session_this_one_too_and_mails_a_reset(world: World) -> None:
    alice = browser(world, "alice")
    other = world.client.post("/login", json={"username": "alice", "password": PASSWORD})
    access = other.get_json()["access_token"]
    world.deliver()
    status, _, html = post(alice, "/account/not-me", "/account")
    assert status == 200 and 'role="status"' in html and "signed out" in html
    assert (
        world.client.get("/user", headers={"Authorization": f"Bearer {access}"}).status_code == 401
    )
    assert alice.get("/account").status_code == 303  # this browser too: to sign in
    assert not [s for s in world.store.sessions.values() if s.user_id == user(world, "alice").id]
    world.deliver()
    resets = [m for m in world.mailer.to("alice@example.com") if "/reset-password?token=" in m.text]
    assert len(resets) == 1
    [ended] = [e for e in world.audit.events if e.reason == "not_me"]
    assert ended.user_id == user(world, "alice").id and ended.session_id is not None


def test_the_button_needs_a_csrf_token_and_a_signed_in_browser(world: World) -> None:
    alice = browser(world, "alice")
    assert alice.post("/account/not-me").status_code == 403
    assert alice.get("/account").status_code == 200  # nothing ended
    signed_out = world.app.test_client()
    status, location, _ = post(signed_out, "/account/not-me", "/sign-in")
    assert status == 303 and location.startswith("/sign-in")
    world.deliver()
    assert not [m for m in world.mailer.sent if "/reset-password?token=" in m.text]


def test_an_account_without_an_address_is_told_no_mail_was_sent(world: World) -> None:
    # an account made without an address (an import's, the tasks API's sign-up)
    noa = User.register(
        admitted=ALLOWED,
        id=new_id(),
        username=Username("noa"),
        email=None,
        password_hash=world.adapters.of(AccountsAdapters).hasher.hash(PASSWORD),
        now=datetime.now(UTC),
    )
    world.adapters.of(AccountsAdapters).users.add(noa)
    client = world.app.test_client()
    status, _, _ = post(client, "/sign-in", "/sign-in", username="noa", password=PASSWORD)
    assert status == 303
    status, _, html = post(client, "/account/not-me", "/account")
    assert status == 200 and "no e-mail address, so no mail was sent" in html
    assert client.get("/account").status_code == 303  # signed out
    world.deliver()
    assert world.mailer.sent == []
