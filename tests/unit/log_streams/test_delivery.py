"""The log streams' outbox and delivery on the fakes (docs/log-streams.md): an org's event
reaches that org's streams only, a person's the streams of each of their orgs; each stream
gets every event once, in order, through an outage; a stream failing for 72 hours is
paused, its owners mailed once, and resumed by an owner."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.accounts import UserRepository
from application.log_streams.delivery import StreamDeliveries
from application.log_streams.streams import LogStreams
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap import Adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.mail import MailAdapters
from bootstrap.orgs import OrgsAdapters
from tests.fakes.kernel import FakeClock, FakeJobQueue, InMemoryStore
from tests.fakes.mail import FakeMailer
from tests.support.api import assert_problem, login, register, services
from tests.support.app import run_jobs, unit_adapters
from tests.support.ocsf import validate_ocsf
from tests.support.settings import make_settings
from tests.unit.log_streams.fakes import FakeDestinations, owner

pytestmark = pytest.mark.unit

FIREGATE = {"kind": "https", "format": "firegate", "url": "https://siem.example.com/in"}


def stream(client: FlaskClient, slug: str, auth: dict[str, str]) -> str:
    made = client.post(f"/orgs/{slug}/log-streams", json=FIREGATE, headers=auth)
    assert made.status_code == 201, made.get_json()
    stream_id: str = made.get_json()["id"]
    return stream_id


def destinations(adapters: Adapters) -> FakeDestinations:
    found: FakeDestinations = unit_adapters(adapters, "log_streams").destinations
    return found


def events(fakes: FakeDestinations, stream_id: str) -> list[dict[str, Any]]:
    return [json.loads(record.body) for record in fakes.received.get(stream_id, [])]


def test_an_orgs_event_reaches_its_streams_only_a_persons_each_of_their_orgs(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    olga = owner(client, "olga", "acme")
    bob = owner(client, "bob", "globex")
    a, b = stream(client, "acme", olga), stream(client, "globex", bob)
    register(client, "sam")  # a member of both
    for slug in ("acme", "globex"):
        services(fake_app).of(OrgServices).members.add_member(AddMember(slug, "sam", ("member",)))
    run_jobs(fake_app, job_queue)
    fakes = destinations(adapters)
    acme = adapters.of(OrgsAdapters).orgs.find("acme")
    assert acme is not None
    added = [e for e in events(fakes, a) if e["type"] == "org.member_added"]
    assert len(added) == 1 and added[0]["org_id"] == acme.id
    assert all(e.get("org_id") != added[0]["org_id"] for e in events(fakes, b))
    login(client, "sam")  # no org's: a person's sign-in
    run_jobs(fake_app, job_queue)
    for stream_id in (a, b):
        signins = [e for e in events(fakes, stream_id) if e["type"] == "signin.succeeded"]
        assert [e.get("org_id") for e in signins][-1:] == [None]
        assert signins[-1]["version"] == 1 and signins[-1]["product"]


def test_nobody_streams_no_entry_is_made(
    fake_app: Flask, client: FlaskClient, store: InMemoryStore
) -> None:
    owner(client, "olga", "acme")
    login(client, "olga")
    assert store.security_events and not store.event_outbox


def test_an_outage_then_recovery_every_event_once_in_order(
    fake_app: Flask,
    client: FlaskClient,
    adapters: Adapters,
    job_queue: FakeJobQueue,
    store: InMemoryStore,
) -> None:
    olga = owner(client, "olga", "acme")
    a = stream(client, "acme", olga)
    run_jobs(fake_app, job_queue)
    fakes = destinations(adapters)
    fakes.received.clear()
    fakes.failing[a], fakes.taken = 3, 1  # three failures, each after taking one
    clock: FakeClock = adapters.platform.clock  # type: ignore[assignment]
    clock.tick = timedelta(milliseconds=1)  # each event at its own time
    for _ in range(5):
        login(client, "olga")
    run_jobs(fake_app, job_queue)
    deliveries = services(fake_app).of(LogStreams).deliveries
    for _ in range(4):
        clock.advance(hours=1)
        assert isinstance(deliveries, StreamDeliveries)
        deliveries.sweep()
        run_jobs(fake_app, job_queue)
    got = [record.id for record in fakes.received[a]]
    stored = sorted(
        (e for e in store.security_events.values() if e.type == "signin.succeeded"),
        key=lambda e: (e.at, e.id),
    )
    assert got == [e.id for e in stored][-5:]  # each once, in order, no gap
    log = client.get(f"/orgs/acme/log-streams/{a}/deliveries", headers=olga).get_json()["items"]
    assert [line["ok"] for line in log][-3:] == [False, False, False]
    assert log[0]["ok"] is True and log[0]["reason"] is None
    assert [line["reason"] for line in log if not line["ok"]] == ["status_503"] * 3


def test_failing_for_72_hours_pauses_it_mails_the_owners_once_and_resume_restarts_it(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    olga = owner(client, "olga", "acme")
    users: UserRepository = adapters.of(AccountsAdapters).users
    user = users.find_by_login("olga")
    assert user is not None
    users.update(user.id, lambda u: u.with_email_verified(datetime.now(UTC)))
    a = stream(client, "acme", olga)
    run_jobs(fake_app, job_queue)
    fakes = destinations(adapters)
    fakes.failing[a] = 10_000
    login(client, "olga")
    run_jobs(fake_app, job_queue)
    clock: FakeClock = adapters.platform.clock  # type: ignore[assignment]
    deliveries = services(fake_app).of(LogStreams).deliveries
    for _ in range(30):
        clock.advance(hours=4)
        deliveries.sweep()
        run_jobs(fake_app, job_queue)
    shown = client.get(f"/orgs/acme/log-streams/{a}", headers=olga).get_json()
    assert shown["state"] == "paused"
    mailer = adapters.of(MailAdapters).mailer
    assert isinstance(mailer, FakeMailer)
    paused = [m for m in mailer.sent if "paused" in m.subject]
    assert [m.to for m in paused] == ["olga@example.com"]
    login(client, "olga")  # a paused stream takes no new entries
    entries = unit_adapters(adapters, "log_streams").entries
    waiting = len(entries.oldest(a, 1000))
    assert waiting == 1  # the sign-in before the pause; not this one
    fakes.failing[a] = 0
    resumed = client.post(f"/orgs/acme/log-streams/{a}/resume", headers=olga)
    assert resumed.status_code == 200 and resumed.get_json()["state"] == "active"
    run_jobs(fake_app, job_queue)
    assert not entries.oldest(a, 1000)
    again = client.post(f"/orgs/acme/log-streams/{a}/resume", headers=olga)
    assert_problem(again, 409, "stream_not_paused")


def test_the_test_event_says_what_happened(client: FlaskClient, adapters: Adapters) -> None:
    olga = owner(client, "olga", "acme")
    a = stream(client, "acme", olga)
    fakes = destinations(adapters)
    ok = client.post(f"/orgs/acme/log-streams/{a}/test", headers=olga).get_json()
    assert (ok["ok"], ok["events"], ok["test"]) == (True, 1, True)
    assert fakes.received[a][-1].type == "log_stream.test"
    fakes.failing[a] = 1
    failed = client.post(f"/orgs/acme/log-streams/{a}/test", headers=olga).get_json()
    assert (failed["ok"], failed["reason"]) == (False, "status_503")
    log = client.get(f"/orgs/acme/log-streams/{a}/deliveries", headers=olga).get_json()["items"]
    assert [line["id"] for line in log][:2] == [failed["id"], ok["id"]]


@pytest.mark.parametrize("app_settings", [make_settings(rate_limit_log_stream_tests="2/minute")])
def test_the_test_event_is_limited_per_address(client: FlaskClient, adapters: Adapters) -> None:
    """Each test sends an event at once, outside the stream's delivery: an address has
    ``RATE_LIMIT_LOG_STREAM_TESTS`` of them, another address its own."""
    olga = owner(client, "olga", "acme")
    path = f"/orgs/acme/log-streams/{stream(client, 'acme', olga)}/test"
    for _ in range(2):
        assert client.post(path, headers=olga).status_code == 200
    refused = client.post(path, headers=olga)
    assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    other = {"REMOTE_ADDR": "198.51.100.7"}
    assert client.post(path, headers=olga, environ_base=other).status_code == 200


def test_an_ocsf_stream_sends_each_event_as_a_valid_ocsf_1_5_event(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    olga = owner(client, "olga", "acme")
    made = client.post("/orgs/acme/log-streams", json={**FIREGATE, "format": "ocsf"}, headers=olga)
    assert made.status_code == 201, made.get_json()
    register(client, "sam")
    services(fake_app).of(OrgServices).members.add_member(AddMember("acme", "sam", ("member",)))
    login(client, "sam")  # a member's sign-in
    assert client.post("/login", json={"username": "sam", "password": "wrong"}).status_code == 401
    run_jobs(fake_app, job_queue)

    sent = events(destinations(adapters), made.get_json()["id"])
    classes = {(e["class_uid"], e["unmapped"]["type"]) for e in sent}
    assert {
        (3005, "org.member_added"),
        (3002, "signin.succeeded"),
        (3002, "signin.failed"),
    } <= classes, classes
    for event in sent:
        validate_ocsf(event)
