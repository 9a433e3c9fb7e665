"""/admin/hooks in a real browser (docs/pages.md): an admin adds a webhook, copies its secret
once, sees a sign-up delivered to a receiver in the test, sends it again and deletes the
webhook; axe-core finds no serious violation on any of these pages."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.browser import admin, chromium, fill, shoot, signed_up, violations
from tests.support.served_webhooks import Receiver, receiver

pytestmark = pytest.mark.e2e
__all__ = ["receiver"]  # the fixture, used here
CACHE_TTL = 5.0  # WEBHOOK_CACHE_TTL's default: another worker sees a new webhook by then


def test_an_admin_adds_a_webhook_sees_its_deliveries_and_sends_one_again(
    gunicorn_url: str, firestore: Any, receiver: Receiver
) -> None:
    base = gunicorn_url
    found: dict[str, list[str]] = {}
    with chromium(javascript=True) as page:
        admin(page, base)
        page.goto(base + "/admin")
        page.get_by_role("link", name="Webhooks").click()
        page.wait_for_url(base + "/admin/hooks")
        found["/admin/hooks"] = violations(page)
        # Refused: no event type chosen, the message beside the event types.
        fill(page, url=f"{receiver.url}/in")
        page.get_by_role("button", name="Add the webhook").click()
        assert page.locator("#events-error[role=alert]").inner_text() == (
            "Choose at least one event type."
        )
        found["/admin/hooks (refused)"] = violations(page)
        page.get_by_label("user.created").check()
        fill(page, description="CRM")
        page.get_by_role("button", name="Add the webhook").click()
        secret = page.get_by_label("Secret").input_value()
        assert secret.startswith("whsec_")
        shoot(page, "admin-webhook-created")
        found["/admin/hooks (added)"] = violations(page)
        page.get_by_role("link", name="Its deliveries").click()
        page.wait_for_url(re.compile(re.escape(base) + r"/admin/hooks/[\w-]+"))
        assert "Nothing delivered yet." in page.inner_text("main")
        assert secret not in page.content()
        here = page.url

        time.sleep(CACHE_TTL + 0.5)
        person = page.context.browser
        assert person is not None
        other = person.new_context(locale="en-US").new_page()
        signed_up(other, base)
        receiver.wait_for(lambda: len(receiver.received) == 1)
        Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
        page.goto(here)
        assert "Delivered" in page.inner_text("main")
        shoot(page, "admin-webhook")
        found["/admin/hooks/<id>"] = violations(page)
        delivery_id = receiver.received[0].headers["webhook-id"]
        page.get_by_role("button", name=f"Send {delivery_id} again").click()
        assert page.get_by_role("status").inner_text() == "The delivery is on its way again."
        found["/admin/hooks/<id> (resent)"] = violations(page)
        receiver.wait_for(lambda: len(receiver.received) == 2)
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert len(ids) == 1

        page.get_by_role("button", name="Delete the webhook").click()
        page.wait_for_url(base + "/admin/hooks?done=deleted")
        assert "No webhook yet." in page.inner_text("main")
    assert found == {path: [] for path in found}
