"""The webhooks API on in-memory fakes: admins only, 422 with field errors, 404s, the secret
once, deliveries listed and resent."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks.webhooks import Webhook

from application.events.webhooks.outbox import DELIVER_WEBHOOK
from application.jobs import JobPush, encode_job
from application.services import Services
from bootstrap import Adapters, build_app
from bootstrap.events import EventsAdapters
from bootstrap.mail import MailAdapters
from infrastructure.settings import Settings
from tests.fakes.events import FakeScheduler, FakeWebhookSender
from tests.fakes.kernel import FakeClock, FakeJobQueue, InMemoryStore
from tests.fakes.mail import FakeMailer
from tests.support.api import admin_token, assert_problem, bearer, login, register
from tests.support.app import fake_adapters
from tests.support.settings import make_settings


@pytest.fixture
def app_settings() -> Settings:
    """With the sweeper a server has (the tests' settings leave it out): here it runs on the
    fake scheduler, only when a test says so."""
    return make_settings(webhook_sweep_interval=20.0)


pytestmark = pytest.mark.unit
URL = "http://127.0.0.1:9/hook"  # the local profile takes http and loopback


@pytest.fixture
def admin(fake_app: Flask, client: FlaskClient) -> dict[str, str]:
    return admin_token(fake_app, client)


def create(client: FlaskClient, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    fields = {"url": URL, "events": ["user.created"], "description": "CRM"} | body
    response = client.post("/admin/webhooks", json=fields, headers=admin)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    result: dict[str, Any] = response.get_json()
    assert response.headers["Location"] == f"/admin/webhooks/{result['id']}"
    return result


def run_webhook_jobs(app: Flask, queue: FakeJobQueue) -> int:
    """Deliver the queued webhook jobs like a push would; the others are dropped."""
    services: Services = app.extensions["firegate"]
    jobs, queue.jobs = [j for j in queue.jobs if j.kind == DELIVER_WEBHOOK], []
    for job in jobs:
        data = base64.b64encode(encode_job(job)).decode()
        services.platform.jobs.receive_push(JobPush(data=data))
    return len(jobs)


def test_an_orgs_events_are_delivered_with_its_id(
    fake_app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    adapters: Adapters,
    job_queue: FakeJobQueue,
) -> None:
    sender = adapters.of(EventsAdapters).webhook_sender
    assert isinstance(sender, FakeWebhookSender)
    hook = create(client, admin, events=["org.created", "org.deleted"])
    job_queue.jobs.clear()
    made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=admin)
    assert made.status_code == 201
    assert client.delete("/orgs/acme", headers=admin).status_code == 204
    assert run_webhook_jobs(fake_app, job_queue) == 2
    delivered = [Webhook(hook["secret"]).verify(body, headers) for _, body, headers in sender.sent]
    assert sorted(d["type"] for d in delivered) == ["org.created", "org.deleted"]
    assert {d["data"]["org_id"] for d in delivered} == {made.get_json()["id"]}


def test_an_admin_registers_lists_reads_and_deletes_a_webhook(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    created = create(client, admin)
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["user.created"] and created["enabled"] is True
    listed = client.get("/admin/webhooks", headers=admin).get_json()["items"]
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]
    shown = client.get(f"/admin/webhooks/{created['id']}", headers=admin).get_json()
    assert shown == {k: v for k, v in created.items() if k != "secret"}
    assert client.delete(f"/admin/webhooks/{created['id']}", headers=admin).status_code == 204
    gone = client.get(f"/admin/webhooks/{created['id']}", headers=admin)
    assert_problem(gone, 404, "webhook_not_found")
    again = client.delete(f"/admin/webhooks/{created['id']}", headers=admin)
    assert_problem(again, 404, "webhook_not_found")


def test_non_admins_are_refused(client: FlaskClient, admin: dict[str, str]) -> None:
    created = create(client, admin)
    register(client, "bob")
    bob = bearer(login(client, "bob"))
    body = {"url": URL, "events": ["user.created"]}
    assert_problem(client.post("/admin/webhooks", json=body, headers=bob), 403, "admin_required")
    assert_problem(client.get("/admin/webhooks", headers=bob), 403, "admin_required")
    for path in ("", "/deliveries"):
        response = client.get(f"/admin/webhooks/{created['id']}{path}", headers=bob)
        assert_problem(response, 403, "admin_required")
    assert client.get("/admin/webhooks").status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"events": ["user.exploded"]}, "events", "unknown_event_type"),
        ({"url": "ftp://example.com/"}, "url", "invalid_webhook_url"),
        ({"url": "https://u:p@example.com/"}, "url", "invalid_webhook_url"),
        ({"description": "a\nb"}, "description", "control_character"),
        ({"description": "\u202eevil"}, "description", "control_character"),
        ({"url": "https://exa mple.com/"}, "url", "invalid_webhook_url"),
    ],
)
def test_bad_fields_are_422_with_the_field(
    client: FlaskClient, admin: dict[str, str], body: dict[str, Any], field: str, code: str
) -> None:
    fields = {"url": URL, "events": ["user.created"]} | body
    response = client.post("/admin/webhooks", json=fields, headers=admin)
    problem = assert_problem(response, 422, response.get_json()["code"])
    assert (field, code) in [(e["field"], e["code"]) for e in problem["errors"]]


def test_a_null_description_is_none_and_the_list_refuses_parameters(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    body = {"url": URL, "events": ["user.created"], "description": None}
    created = client.post("/admin/webhooks", json=body, headers=admin)
    assert created.status_code == 201 and created.get_json()["description"] == ""
    for query in ("limit=abc", "foo=bar", "cursor=zzz"):
        refused = client.get(f"/admin/webhooks?{query}", headers=admin)
        problem = assert_problem(refused, 422, "validation_failed")
        assert [e["code"] for e in problem["errors"]] == ["unknown_field"]


@pytest.mark.parametrize(
    "body",
    [{}, {"url": URL}, {"url": URL, "events": []}, {"url": 5, "events": ["user.created"]}],
)
def test_missing_or_ill_typed_fields_are_422(
    client: FlaskClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    assert client.post("/admin/webhooks", json=body, headers=admin).status_code == 422


def test_a_sign_up_is_delivered_signed_listed_and_resent(
    fake_app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    adapters: Adapters,
    job_queue: FakeJobQueue,
) -> None:
    sender = adapters.of(EventsAdapters).webhook_sender
    assert isinstance(sender, FakeWebhookSender)
    created = create(client, admin)
    other = create(client, admin, events=["signin.failed"])
    job_queue.jobs.clear()
    carol = register(client, "carol")
    assert run_webhook_jobs(fake_app, job_queue) == 1
    [(url, body, headers)] = sender.sent
    assert url == URL
    delivered = Webhook(created["secret"]).verify(body, headers)
    assert delivered["type"] == "user.created" and delivered["data"]["user_id"] == carol["id"]
    assert "carol" not in body  # ids only: no username or address

    path = f"/admin/webhooks/{created['id']}/deliveries"
    page = client.get(path, headers=admin).get_json()
    [delivery] = page["items"]
    assert delivery["id"] == headers["webhook-id"] and delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [200]
    assert delivery["next_attempt_at"] is None and page["next_cursor"] is None
    empty = client.get(f"/admin/webhooks/{other['id']}/deliveries", headers=admin).get_json()
    assert empty == {"items": [], "next_cursor": None}

    resent = client.post(f"{path}/{delivery['id']}/resend", headers=admin)
    assert resent.status_code == 202 and resent.get_json()["status"] == "pending"
    assert run_webhook_jobs(fake_app, job_queue) == 1
    assert [h["webhook-id"] for _, _, h in sender.sent] == [delivery["id"]] * 2
    again = client.get(path, headers=admin).get_json()["items"][0]
    assert [a["status_code"] for a in again["attempts"]] == [200, 200]

    missing = client.post(f"{path}/msg_nope/resend", headers=admin)
    assert_problem(missing, 404, "delivery_not_found")
    elsewhere = client.post(
        f"/admin/webhooks/{other['id']}/deliveries/{delivery['id']}/resend", headers=admin
    )
    assert_problem(elsewhere, 404, "delivery_not_found")
    unknown = client.get("/admin/webhooks/nope/deliveries", headers=admin)
    assert_problem(unknown, 404, "webhook_not_found")
    bad_cursor = client.get(f"{path}?cursor=abc", headers=admin)
    assert_problem(bad_cursor, 422, "invalid_cursor")


def run_all_jobs(app: Flask, queue: FakeJobQueue) -> None:
    services: Services = app.extensions["firegate"]
    while queue.jobs:
        jobs, queue.jobs = queue.jobs, []
        for job in jobs:
            services.platform.jobs.receive_push(
                JobPush(data=base64.b64encode(encode_job(job)).decode())
            )


def test_an_endpoint_failing_for_24_hours_is_disabled_and_the_admins_are_mailed(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    sender, clock, mailer = (
        adapters.of(EventsAdapters).webhook_sender,
        adapters.platform.clock,
        adapters.of(MailAdapters).mailer,
    )
    assert isinstance(sender, FakeWebhookSender) and isinstance(clock, FakeClock)
    assert isinstance(mailer, FakeMailer)
    admin = admin_token(fake_app, client)
    run_all_jobs(fake_app, job_queue)  # the verification mail
    link = next(w for w in mailer.to("root@example.com")[-1].text.split() if "token=" in w)
    token = link.split("token=", 1)[1]
    assert client.post("/auth/email/verify", json={"token": token}).status_code == 200
    sender.answers = [503]
    created = create(client, admin)
    register(client, "frank")
    for _ in range(12):
        run_all_jobs(fake_app, job_queue)
        clock.advance(hours=4)
        scheduler = adapters.of(EventsAdapters).scheduler
        assert isinstance(scheduler, FakeScheduler)
        scheduler.run_all()  # the sweeper
    run_all_jobs(fake_app, job_queue)
    shown = client.get(f"/admin/webhooks/{created['id']}", headers=admin).get_json()
    assert shown["enabled"] is False and shown["failing_since"] is not None
    [delivery] = client.get(
        f"/admin/webhooks/{created['id']}/deliveries", headers=admin
    ).get_json()["items"]
    assert delivery["status"] == "dead" and len(delivery["attempts"]) > 5
    [notice] = [m for m in mailer.to("root@example.com") if "webhook" in m.subject]
    assert "/admin/hooks" in notice.text and "24 hours" in notice.text


def test_a_server_sweeps_from_the_start_and_a_command_line_does_not(
    adapters: Adapters, app_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler = adapters.of(EventsAdapters).scheduler
    assert isinstance(scheduler, FakeScheduler)
    build_app(app_settings, adapters)
    assert [seconds for seconds, _ in scheduler.tasks] == [20.0]
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # what `flask <command>` sets
    build_app(app_settings, adapters)
    assert len(scheduler.tasks) == 1


def test_the_tests_apps_sweep_only_when_asked() -> None:
    # An app a test builds on the emulators lives on for the rest of the run: with a
    # sweeper it would claim the deliveries later tests store in the shared emulator.
    settings = make_settings()
    adapters = fake_adapters(settings, InMemoryStore())
    build_app(settings, adapters)
    scheduler = adapters.of(EventsAdapters).scheduler
    assert isinstance(scheduler, FakeScheduler) and scheduler.tasks == []
