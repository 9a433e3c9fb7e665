"""Devices named as people name them and times in the person's time zone, on fakes
(docs/pages.md, "Devices and times")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from domain.errors import InvalidInput
from tests.support.admin_pages import browser, post, root, user
from tests.support.app import World
from tests.support.user_agents import FIREFOX

pytestmark = pytest.mark.unit
__all__ = ["root"]  # a fixture
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


@pytest.fixture
def world() -> World:
    return World()


def signed_in_with(world: World, name: str, agent: str) -> FlaskClient:
    client = world.app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    form = {"username": name, "password": "correct horse battery staple"}
    answer = client.post("/login", json=form)
    assert answer.status_code == 200, answer.get_json()
    return client


def test_sessions_are_named_by_browser_and_system_and_this_browser_first(world: World) -> None:
    alice = browser(world, "alice")
    alice.environ_base["HTTP_USER_AGENT"] = CHROME
    signed_in_with(world, "alice", IPHONE)
    signed_in_with(world, "alice", "curl/8.5.0 Call +1-555-0100")
    html = alice.get("/account/devices").get_data(as_text=True)
    names = re.findall(r'<strong id="session-\d+">([^<]+)</strong>', html)
    assert names[0] == "Unknown device"  # this browser (the test client) comes first
    assert sorted(names[1:]) == ["Safari on iPhone", "curl"]
    assert html.count("This browser") == 1 and html.count("End session") == 2
    for text in ("Mozilla", "AppleWebKit", "Call +1-555", "Werkzeug"):
        assert text not in html, text


def test_a_device_name_speaks_the_pages_language(world: World) -> None:
    alice = browser(world, "alice")
    signed_in_with(world, "alice", FIREFOX)
    html = alice.get("/account/devices", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Firefox en Linux" in html and "Dispositivo desconocido" in html


def test_times_read_as_how_long_ago_within_a_day(world: World) -> None:
    alice = browser(world, "alice")
    html = alice.get("/account/activity").get_data(as_text=True)
    # The sign-up and sign-in were just now (the fake clock starts at the real time).
    times = re.findall(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', html)
    assert times and {shown for _, _, shown in times} == {"just now"}
    world.clock.advance(days=2)  # the clock's tomorrow but one: not "ago", the full time
    signed_in_with(world, "alice", FIREFOX)
    html = alice.get("/account/devices").get_data(as_text=True)
    shown = re.findall(r"<time [^>]*>([^<]+)</time>", html)
    assert shown[:2] == ["just now", "just now"] and "ago" not in shown[2], shown


def test_times_are_in_utc_until_the_browser_or_the_account_says(world: World) -> None:
    alice = browser(world, "alice")
    created = user(world, "alice").created_at
    html = alice.get("/account/activity").get_data(as_text=True)
    assert "Times are in UTC." in html
    iso = created.astimezone(UTC).isoformat()
    assert f'<time datetime="{iso}"' in html
    # The pages' script tells the browser's zone in a cookie: the times follow it.
    alice.set_cookie("firegate_tz", "America/New_York")
    html = alice.get("/account/activity").get_data(as_text=True)
    assert "Times are in America/New_York." in html
    html = alice.get("/account").get_data(as_text=True)
    assert "Your browser's (America/New_York)" in html
    # The account's own setting wins over the browser's.
    status, location, _ = post(alice, "/account/time-zone", "/account", time_zone="Asia/Tokyo")
    assert (status, location) == (303, "/account?done=time-zone")
    assert user(world, "alice").time_zone == "Asia/Tokyo"
    html = alice.get("/account?done=time-zone").get_data(as_text=True)
    assert "Your time zone is saved." in html
    assert '<option value="Asia/Tokyo" selected>' in html
    assert "Times are in Asia/Tokyo." in alice.get("/account/activity").get_data(as_text=True)
    # A told zone the database does not know is no zone.
    alice.set_cookie("firegate_tz", "Mars/Olympus")
    post(alice, "/account/time-zone", "/account", time_zone="")
    assert user(world, "alice").time_zone is None
    assert "Times are in UTC." in alice.get("/account/activity").get_data(as_text=True)


def test_the_time_zone_changes_the_time_shown(world: World) -> None:
    alice = browser(world, "alice")
    world.clock.advance(days=3)  # no longer "ago": the full time
    signed_in_with(world, "alice", FIREFOX)
    alice.set_cookie("firegate_tz", "UTC")
    utc = alice.get("/account/devices").get_data(as_text=True)
    alice.set_cookie("firegate_tz", "Asia/Kolkata")  # UTC+5:30: another minute of the hour
    kolkata = alice.get("/account/devices").get_data(as_text=True)
    times = [re.findall(r"<time [^>]*>([^<]+)</time>", html) for html in (utc, kolkata)]
    assert times[0] != times[1]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../etc/passwd", "x" * 80, "Europe/Madrid "])
def test_an_unknown_time_zone_is_422_beside_the_select(world: World, zone: str) -> None:
    alice = browser(world, "alice")
    status, _, html = post(alice, "/account/time-zone", "/account", time_zone=zone)
    assert status == 422
    assert 'aria-describedby="time-zone-time_zone-error"' in html
    assert "Choose one of the time zones listed." in html
    assert user(world, "alice").time_zone is None


def test_an_admin_sees_devices_named_and_times_in_the_admins_zone(
    world: World, root: FlaskClient
) -> None:
    browser(world, "bob")
    signed_in_with(world, "bob", IPHONE)
    root.set_cookie("firegate_tz", "Europe/Madrid")
    html = root.get(f"/admin/users/{user(world, 'bob').id}").get_data(as_text=True)
    assert "Safari on iPhone" in html and "Mozilla" not in html
    assert "Times are in Europe/Madrid." in html
    assert " UTC</time>" not in html


def test_ago_is_empty_for_the_future_and_for_long_ago() -> None:
    from interfaces.web.shown import ago

    with World().app.test_request_context("/account"):
        now = datetime.now(UTC)
        assert ago(now + timedelta(minutes=5)) == ""
        assert ago(now - timedelta(days=2)) == ""
        assert ago(now - timedelta(minutes=2)) == "2 minutes ago"
        assert ago(now - timedelta(seconds=5)) == "just now"


@pytest.mark.parametrize("zone", ["../etc/passwd", "Europe/Madrid ", "x" * 65, 5])
def test_the_account_keeps_only_a_time_zones_name(world: World, zone: object) -> None:
    alice = (browser(world, "alice"), user(world, "alice"))[1]
    with pytest.raises(InvalidInput):
        alice.edited({"time_zone": zone}, alice.updated_at)
    assert alice.edited({"time_zone": "Etc/GMT+5"}, alice.updated_at).time_zone == "Etc/GMT+5"
