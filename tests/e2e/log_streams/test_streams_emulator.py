"""One path through the real thing (docs/log-streams.md): on the Firestore emulator, a
person's sign-ins are written with their entries in the events' commits, and an https
stream gets each once, in order, signed, through its receiver's outage; a stream failing
for 72 hours is paused and its owner mailed (real SMTP: maildev)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from google.cloud.firestore import FieldFilter

from application.log_streams.streams import LogStreams
from bootstrap import build_adapters
from bootstrap.accounts import AccountsAdapters
from tests.fakes.kernel import FakeJobQueue
from tests.support import mailbox
from tests.support.api import bearer, login, register, services
from tests.support.app import app_on, app_on_emulator, run_jobs, swap
from tests.support.settings import make_settings
from tests.unit.log_streams.fakes import Receiver, receiving

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


@pytest.fixture
def queue() -> FakeJobQueue:
    return FakeJobQueue()


@pytest.fixture
def app(firestore: Any, queue: FakeJobQueue) -> Flask:
    return app_on_emulator(make_settings(), firestore, queue)


def test_every_sign_in_reaches_the_stream_once_in_order_through_an_outage(
    app: Flask, firestore: Any, queue: FakeJobQueue, receiver: Receiver
) -> None:
    client = app.test_client()
    user = register(client, "olga")
    olga = bearer(login(client, "olga"))
    assert (
        client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga).status_code == 201
    )
    body = {"kind": "https", "format": "firegate", "url": receiver.url + "/audit"}
    made = client.post("/orgs/acme/log-streams", json=body, headers=olga).get_json()
    receiver.secret, receiver.failing = made["secret"], 2
    for _ in range(4):
        login(client, "olga")
    run_jobs(app, queue)  # the first attempt: 503
    streams = services(app).of(LogStreams)
    for _ in range(5):  # each retry made due at once (the wall clock's backoff is seconds)
        streams.store.change(
            made["id"], lambda s: replace(s, health=replace(s.health, retry_at=None))
        )
        streams.deliveries.deliver(made["id"])
        if not streams.entries.oldest(made["id"], 1):
            break
    signins = sorted(
        (
            (doc.get("at"), doc.id)
            for doc in firestore.collection("security_events")
            .where(filter=FieldFilter("user_id", "==", user["id"]))
            .stream()
            if doc.get("type") == "signin.succeeded"
        ),
    )
    assert receiver.ids() == [event_id for _, event_id in signins[-4:]]
    log = client.get(f"/orgs/acme/log-streams/{made['id']}/deliveries", headers=olga).get_json()
    assert [line["ok"] for line in log["items"]] == [True, False, False]


def test_a_stream_failing_for_72_hours_is_paused_and_its_owner_mailed(
    firestore: Any, queue: FakeJobQueue, receiver: Receiver
) -> None:
    settings = make_settings()
    adapters = swap(
        build_adapters(settings, firestore=firestore), job_queue=queue.attach, webhook_queue=None
    )
    app = app_on(settings, adapters)  # its jobs run by the test, its mail over SMTP (maildev)
    client = app.test_client()
    user = register(client, "paula")
    users = adapters.of(AccountsAdapters).users
    users.update(user["id"], lambda u: u.with_email_verified(datetime.now(UTC)))
    paula = bearer(login(client, "paula"))
    assert (
        client.post("/orgs", json={"slug": "pco", "name": "Pco"}, headers=paula).status_code == 201
    )
    body = {"kind": "https", "format": "firegate", "url": receiver.url + "/down"}
    made = client.post("/orgs/pco/log-streams", json=body, headers=paula).get_json()
    receiver.failing = 1_000_000
    login(client, "paula")
    run_jobs(app, queue)  # the first attempt fails
    streams = services(app).of(LogStreams)
    long_ago = datetime.now(UTC) - timedelta(hours=73)
    streams.store.change(
        made["id"],
        lambda s: replace(
            s, health=replace(s.health, failing_since=long_ago, failures=30, retry_at=None)
        ),
    )
    assert streams.deliveries.sweep() >= 1
    run_jobs(app, queue)  # the retry fails past 72 hours: paused, its owners found
    read = client.get(f"/orgs/pco/log-streams/{made['id']}", headers=paula).get_json()
    assert read["state"] == "paused"
    run_jobs(app, queue)  # the owners found
    assert [job.kind for job in queue.jobs] == ["log_streams.paused_mail"]
    run_jobs(app, queue)  # the owner's mail
    assert streams.deliveries.sweep() == 0  # a paused stream is not retried
    paused = pause_mail("paula@example.com", made["id"])
    assert "paused" in paused["subject"] and "Pco" in paused["subject"]


def pause_mail(address: str, stream_id: str) -> dict[str, Any]:
    """The one mail to ``address`` about the stream, once it arrived (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        found = [mail for mail in mailbox.to(address) if stream_id in mail["text"]]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.1)
