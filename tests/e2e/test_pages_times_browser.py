"""Times on the pages in the person's own time zone, in a real browser (docs/pages.md,
"Devices and times"): the zone the browser tells (``static/time-zone.js``), then the one the
account chooses on its profile; "just now" for what just happened, the full time as its
title."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page

from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill

pytestmark = pytest.mark.e2e


def newest_time(page: Page) -> tuple[datetime, str, str]:
    """The newest sign-in's time on the activity section: when, as shown, and its title."""
    shown = page.locator("main time").first
    at = datetime.fromisoformat(shown.get_attribute("datetime") or "")
    return at, shown.inner_text(), shown.get_attribute("title") or ""


def clock(at: datetime, zone: str) -> str:
    """``at``'s time of day in ``zone`` as the pages' medium format writes it (3:04:05 PM)."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local.hour % 12 or 12}:{local.minute:02d}:{local.second:02d}"


def test_times_follow_the_browsers_zone_then_the_accounts_own(gunicorn_url: str) -> None:
    base, name = gunicorn_url, "t" + uuid.uuid4().hex[:10]
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert requests.post(base + "/register", json=body, timeout=30).status_code == 201
    with chromium(javascript=True, timezone_id="Asia/Tokyo") as page:
        page.goto(base + "/sign-in")  # its script tells the pages this browser's zone
        fill(page, username=name, password=PASSWORD)
        page.locator("form[action^='/sign-in?'] button[type=submit]").click()
        page.wait_for_url(base + "/account")

        page.goto(base + "/account/activity")
        assert "Times are in Asia/Tokyo." in page.inner_text("main")
        at, text, title = newest_time(page)
        assert text == "just now"
        assert clock(at, "Asia/Tokyo") in title and clock(at, "UTC") not in title

        page.goto(base + "/account")
        page.select_option("#time-zone-time_zone", "America/New_York")
        page.get_by_role("button", name="Save time zone").click()
        page.goto(base + "/account/activity")
        assert "Times are in America/New_York." in page.inner_text("main")
        at, _, title = newest_time(page)
        assert clock(at, "America/New_York") in title
