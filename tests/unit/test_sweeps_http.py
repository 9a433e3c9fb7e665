"""Sweeps as jobs, pushed to POST /internal/jobs as Cloud Scheduler sends them, on fakes: the
webhook deliveries due are queued with no sweeper of the process's own, the IdP certificates'
pass runs, a name no sweep has is dropped, and nobody else may push one
(docs/reference/jobs.md, "Sweeps")."""

from __future__ import annotations

import base64
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.events.webhooks.outbox import DELIVER_WEBHOOK
from application.jobs import SWEEP, JobPush, encode_job
from application.ports import Job
from application.services import Services
from bootstrap import Adapters
from bootstrap.events import EventsAdapters
from infrastructure.settings import Settings
from tests.fakes.events import FakeWebhookSender
from tests.fakes.kernel import FakeClock, FakeJobQueue
from tests.support.api import admin_token, assert_problem, register
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
TOKEN = "push-token-" + "s" * 20
PUSH = f"/internal/jobs?token={TOKEN}"


@pytest.fixture
def app_settings() -> Settings:
    # No sweeper of the process's own, as on Cloud Run with its CPU throttled.
    return make_settings(job_push_token=TOKEN, webhook_sweep_interval=0.0)


def sweep(name: str) -> dict[str, object]:
    """What a Cloud Scheduler job of the two-region recipe posts (deploy/two-regions.toml)."""
    data = base64.b64encode(encode_job(Job(kind=SWEEP, subject=name))).decode()
    return {"message": {"data": data}}


def run_jobs(app: Flask, queue: FakeJobQueue) -> list[str]:
    """Run every queued job as a push would: the kinds run."""
    services: Services = app.extensions["firegate"]
    ran = []
    while queue.jobs:
        jobs, queue.jobs = queue.jobs, []
        for job in jobs:
            services.platform.jobs.receive_push(
                JobPush(data=base64.b64encode(encode_job(job)).decode())
            )
            ran.append(job.kind)
    return ran


def test_the_webhook_sweep_queues_a_failed_delivery_once_it_is_due(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    sender, clock = adapters.of(EventsAdapters).webhook_sender, adapters.platform.clock
    assert isinstance(sender, FakeWebhookSender) and isinstance(clock, FakeClock)
    admin = admin_token(fake_app, client)
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["user.created"]}
    assert client.post("/admin/webhooks", json=hook, headers=admin).status_code == 201
    run_jobs(fake_app, job_queue)
    sender.answers = [503, 200]
    register(client, "frank")
    assert DELIVER_WEBHOOK in run_jobs(fake_app, job_queue)
    assert len(sender.sent) == 1  # failed, and nothing in the process retries it

    assert client.post(PUSH, json=sweep("webhooks")).status_code == 204
    assert job_queue.jobs == []  # not due yet
    clock.advance(hours=1)
    assert client.post(PUSH, json=sweep("webhooks")).status_code == 204
    assert run_jobs(fake_app, job_queue) == [DELIVER_WEBHOOK]
    assert len(sender.sent) == 2
    assert client.post(PUSH, json=sweep("webhooks")).status_code == 204
    assert job_queue.jobs == []  # delivered: nothing left to queue


def test_the_certificate_sweep_runs_and_an_unknown_one_is_dropped(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="firegate.jobs"):
        assert client.post(PUSH, json=sweep("sso-certificates")).status_code == 204
        assert client.post(PUSH, json=sweep("everything")).status_code == 204
    said = [r.getMessage() for r in caplog.records if r.name == "firegate.jobs"]
    assert said == ["sweep sso-certificates: 0", "sweep 'everything' unknown; job dropped"]


@pytest.mark.parametrize("query", ["", "?token=", f"?token={TOKEN[:-1]}"])
def test_only_the_scheduler_may_push_a_sweep(
    client: FlaskClient, job_queue: FakeJobQueue, query: str
) -> None:
    response = client.post(f"/internal/jobs{query}", json=sweep("webhooks"))
    assert_problem(response, 401, "invalid_push_credentials")
    user = client.post(
        "/internal/jobs",
        json=sweep("webhooks"),
        headers={"Authorization": "Bearer not-a-google-token"},
    )
    assert_problem(user, 401, "invalid_push_credentials")
