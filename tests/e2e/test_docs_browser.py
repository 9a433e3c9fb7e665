"""The interactive docs in a real browser: Debian's Chromium, headless, driven by Playwright,
on gunicorn and the emulators (docs/testing.md, "The browser test").

Playwright drives the system's ``/usr/bin/chromium`` (``apt-get install -y chromium``;
``.ci/run`` installs it); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route

from tests.support.api import PASSWORD
from tests.support.browser import browser_context

pytestmark = pytest.mark.e2e


@pytest.fixture
def page() -> Iterator[Page]:
    """A page in headless Chromium, in a browser context of its own, tall enough for the
    operations' answers."""
    with browser_context(viewport={"width": 1280, "height": 2000}) as context:
        yield context.new_page()


def run_operation(page: Page, operation: str, body: dict[str, Any] | None = None) -> Locator:
    """Expand ``operation`` (Swagger UI's DOM id), "Try it out", fill the JSON body,
    "Execute"; the live response's block."""
    block = page.locator(f"#{operation}")
    block.locator(".opblock-summary").first.click()
    block.get_by_role("button", name="Try it out").click()
    if body is not None:
        content_type = block.locator(".body-param-content-type select")
        if content_type.count():
            content_type.select_option("application/json")
        block.locator("textarea.body-param__text").fill(json.dumps(body))
    block.get_by_role("button", name="Execute").click()
    response = block.locator(".live-responses-table .response").first
    response.locator(".response-col_status").wait_for()
    return response


def status_and_body(response: Locator) -> tuple[int, dict[str, Any]]:
    status = int(response.locator(".response-col_status").inner_text().strip())
    text = response.locator(".response-col_description pre").first.inner_text()
    body: dict[str, Any] = json.loads(text)
    return status, body


def test_register_login_authorize_and_get_user_in_swagger_ui(
    gunicorn_url: str, firestore: Any, page: Page, tmp_path: Path
) -> None:
    elsewhere: list[str] = []

    def local_only(route: Route) -> None:
        # Everything /docs needs is served by firegate itself (docs/decisions/0140):
        # a request anywhere else fails the page and the test.
        if route.request.url.startswith(gunicorn_url + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    try:
        page.goto(gunicorn_url + "/docs")
        page.locator("#operations-accounts-post__register").wait_for()

        created = run_operation(
            page,
            "operations-accounts-post__register",
            {"username": "swagger", "email": "swagger@example.com", "password": PASSWORD},
        )
        status, user = status_and_body(created)
        assert status == 201, user
        # Swagger UI adds an operation to the page only as it nears the screen: with the
        # register's answer open, POST /login (after the /user operations) is not in the page
        # yet. /docs afresh, with nothing open, to log in.
        page.goto(gunicorn_url + "/docs")
        page.locator("#operations-accounts-post__login").wait_for()

        logged_in = run_operation(
            page, "operations-accounts-post__login", {"username": "swagger", "password": PASSWORD}
        )
        status, tokens = status_and_body(logged_in)
        assert status == 200, tokens

        page.locator(".auth-wrapper .authorize").click()
        dialog = page.locator(".dialog-ux .modal-ux")
        dialog.locator("input").first.fill(tokens["access_token"])
        dialog.get_by_role("button", name="Apply credentials").click()
        dialog.get_by_role("button", name="Remove authorization").wait_for()  # accepted
        dialog.get_by_role("button", name="Close").click()

        me = run_operation(page, "operations-accounts-get__user")
        status, body = status_and_body(me)
        assert status == 200, body
        assert body["id"] == user["id"] and body["username"] == "swagger"
        curl = page.locator("#operations-accounts-get__user .curl-command").inner_text()
        assert f"Authorization: Bearer {tokens['access_token']}" in curl
        assert elsewhere == []
    except BaseException as failure:
        shot = tmp_path / "docs-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        failure.add_note(f"screenshot of the page: {shot}")
        raise
