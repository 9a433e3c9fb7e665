"""/admin/hooks on fakes (docs/pages.md): admins only, the secret shown once, refusals
beside their field, deliveries listed and sent again, a webhook deleted."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from standardwebhooks.webhooks import Webhook

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from application.events.webhooks.outbox import DELIVER_WEBHOOK
from tests.support.admin_pages import browser, post
from tests.support.api import register
from tests.support.app import World
from tests.support.pages import csrf

pytestmark = pytest.mark.unit
URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def root(world: World) -> FlaskClient:
    client = browser(world, "root")
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    return client


def add(client: FlaskClient, *events: str, url: str = URL) -> tuple[int, str]:
    form = {"url": url, "events": list(events), "description": "CRM"}
    answer = client.post("/admin/hooks", data={**form, "csrf_token": csrf(client, "/admin/hooks")})
    return answer.status_code, answer.get_data(as_text=True)


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(world: World, root: FlaskClient) -> None:
    status, html = add(root, "user.created", "signin.failed")
    assert status == 201
    found = re.search(r'id="secret" type="text" readonly value="(whsec_[^"]+)"', html)
    assert found is not None
    secret = found.group(1)
    listing = root.get("/admin/hooks")
    assert listing.headers["Cache-Control"] == "no-store"
    listed = listing.get_data(as_text=True)
    assert URL in listed and "user.created, signin.failed" in listed and secret not in listed
    [webhook_id] = re.findall(r'href="/admin/hooks/([^"]+)"', listed)
    detail = root.get(f"/admin/hooks/{webhook_id}").get_data(as_text=True)
    assert secret not in detail and "Nothing delivered yet." in detail
    assert '<a href="/admin/hooks">' in root.get("/admin").get_data(as_text=True)

    world.queue.jobs.clear()
    register(world.client, "gina")
    world.deliver()  # the fake sender answers 200
    detail = root.get(f"/admin/hooks/{webhook_id}").get_data(as_text=True)
    [delivery_id] = re.findall(r"<code>(msg_[^<]+)</code>", detail)
    assert "Delivered" in detail and "user.created" in detail
    status, location, _ = post(
        root,
        f"/admin/hooks/{webhook_id}/deliveries/{delivery_id}/resend",
        f"/admin/hooks/{webhook_id}",
    )
    assert (status, location) == (303, f"/admin/hooks/{webhook_id}?done=resent")
    assert [j.subject for j in world.queue.jobs if j.kind == DELIVER_WEBHOOK] == [delivery_id]
    assert Webhook(secret)  # a usable Standard Webhooks secret

    status, location, _ = post(
        root, f"/admin/hooks/{webhook_id}/delete", f"/admin/hooks/{webhook_id}"
    )
    assert (status, location) == (303, "/admin/hooks?done=deleted")
    after = root.get(location).get_data(as_text=True)
    assert "The webhook is deleted" in after and "No webhook yet." in after
    assert root.get(f"/admin/hooks/{webhook_id}").status_code == 404


@pytest.mark.parametrize(
    ("url", "events", "field", "says"),
    [
        ("ftp://example.com/", ["user.created"], "url", "https:// URL of a public host"),
        (URL, [], "events", "Choose at least one event type."),
        (URL, ["user.exploded"], "events", "Choose event types from the list."),
    ],
)
def test_a_refusal_is_shown_beside_its_field(
    root: FlaskClient, url: str, events: list[str], field: str, says: str
) -> None:
    status, html = add(root, *events, url=url)
    assert status == 422
    assert re.search(rf'id="{field}-error" role="alert">[^<]*{re.escape(says)}', html), html
    assert "No webhook yet." in html  # the list is shown again


def test_a_non_admin_gets_403_pages(world: World, root: FlaskClient) -> None:
    bob = browser(world, "bob")
    assert bob.get("/admin/hooks").status_code == 403
    form = {"url": URL, "events": "user.created", "csrf_token": csrf(bob, "/account")}
    assert bob.post("/admin/hooks", data=form).status_code == 403
    assert "No webhook yet." in root.get("/admin/hooks").get_data(as_text=True)


def test_the_spanish_page(root: FlaskClient) -> None:
    html = root.get("/admin/hooks", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es"' in html and "Añadir el webhook" in html
