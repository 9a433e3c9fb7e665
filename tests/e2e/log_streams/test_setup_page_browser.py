"""A log stream's setup link in a real browser (docs/pages.md, "Log stream setup"): Debian's
Chromium on gunicorn and the emulators, 375 px wide. An owner makes the link; the org's IT, in
a browser with no session, opens it, sees which org it is for, has a bad port said beside its
field with what was typed kept, adds the syslog stream and sees it made; the link then opens a
400 page. Every page axe-clean, without sideways scrolling, under the pages' CSP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from tests.support.api import PASSWORD
from tests.support.browser import chromium, org_created, own_context, signed_up
from tests.support.browser import violations as axe_findings
from tests.support.servers import free_port, serving

pytestmark = pytest.mark.e2e
PHONE = 375
WIDTHS = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"


@pytest.fixture(scope="module")
def base(emulators: Any) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"  # the link names the server under test
    with serving("gunicorn-log-stream-setup.log", PORT=str(port), PUBLIC_URL=url) as found:
        yield found


def checked(page: Page) -> None:
    page.set_viewport_size({"width": PHONE, "height": 667})
    scroll_width, client_width = page.evaluate(WIDTHS)
    assert scroll_width <= client_width, page.url
    assert axe_findings(page) == [], page.url


def test_the_orgs_it_adds_a_stream_through_the_link(base: str, firestore: Any) -> None:
    slug = "siem-" + uuid.uuid4().hex[:8]
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        name = signed_up(page, base, "o")
        org_created(page, base, slug)
        login = requests.post(
            base + "/login", json={"username": name, "password": PASSWORD}, timeout=30
        )
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        links = f"{base}/orgs/{slug}/log-streams/setup-links"
        made = requests.post(links, headers=auth, timeout=30)
        assert made.status_code == 201, made.text
        link: str = made.json()["url"]
        assert link.startswith(base + "/setup/log-stream?token=")

        with own_context(page) as it_admin:
            it_admin.goto(link)
            assert it_admin.title().startswith(f"Add a log stream for {slug.title()}")
            checked(it_admin)
            it_admin.get_by_label("Kind").select_option("syslog")
            it_admin.get_by_label("Format").select_option("ocsf")
            it_admin.get_by_label("Host").fill("siem.example.com")
            it_admin.get_by_label("Port").fill("99999")
            it_admin.get_by_role("button", name="Add the stream").click()
            error = it_admin.locator("#stream-port-error")
            assert error.inner_text().startswith("port must be a number")
            assert it_admin.get_by_label("Host").input_value() == "siem.example.com"
            assert it_admin.get_by_label("Kind").input_value() == "syslog"
            checked(it_admin)  # the refusal beside its field
            it_admin.get_by_label("Port").fill("6514")
            it_admin.get_by_role("button", name="Add the stream").click()
            assert "no longer works" in it_admin.get_by_role("status").inner_text()
            assert "siem.example.com" in it_admin.locator("#stream-made").inner_text()
            checked(it_admin)
            streams = requests.get(f"{base}/orgs/{slug}/log-streams", headers=auth, timeout=30)
            assert [s["host"] for s in streams.json()["items"]] == ["siem.example.com"]
            spent = it_admin.goto(link)
            assert spent is not None and spent.status == 400
            checked(it_admin)
