"""A guest merged into the account its way in belongs to, on the Firestore emulator over
HTTP: the guest's tasks and dog end up the owner's (its datasets and files: their units'
tests, tests/e2e/datasets/ and tests/e2e/files/), the guest is gone, the operator's webhook
receives ``guest.merged``; and 30 parallel merges with one token, or with the tokens of several
accounts, accept one (docs/guests.md, "When the way in is someone else's")."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks.webhooks import Webhook

from application.accounts.services import AccountServices
from application.events.services import EventServices
from application.events.webhooks.admin import CreateWebhook
from bootstrap import Adapters, build_adapters, build_app
from bootstrap.accounts import AccountsAdapters
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.mail import FakeMailer
from tests.support.api import bearer, login, register, services
from tests.support.app import swap
from tests.support.guest_merges import (
    drain,
    make_guest,
    make_owned,
    merge_token,
    with_upgrade_route,
)
from tests.support.races import RACERS, race, summary
from tests.support.served_webhooks import Receiver, receiver
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.e2e

__all__ = ["receiver"]  # the fixture, imported for this module's tests


@pytest.fixture
def queue() -> FakeJobQueue:
    return FakeJobQueue()


@pytest.fixture
def adapters(firestore: Any, queue: FakeJobQueue) -> Adapters:
    settings = make_settings()  # local: a webhook receiver on 127.0.0.1
    return swap(
        build_adapters(settings, firestore=firestore),
        job_queue=queue.attach,
        webhook_queue=None,
        mailer=FakeMailer(),
    )


@pytest.fixture
def app(adapters: Adapters) -> Flask:
    return with_upgrade_route(build_app(make_settings(), adapters))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_owner_gets_what_the_guest_owns_and_the_operator_hears_of_it(
    app: Flask,
    client: FlaskClient,
    adapters: Adapters,
    queue: FakeJobQueue,
    *,
    receiver: Receiver,
) -> None:
    url = f"{receiver.url}/hooks"
    created = (
        services(app)
        .of(EventServices)
        .webhooks.create(CreateWebhook(ADMIN, url, ("guest.merged",)))
    )
    guest_id, guest = make_guest(client, adapters.of(AccountsAdapters).users, "guest1")
    owned = make_owned(client, guest, "Rex")
    owner_id: str = register(client, "owner1")["id"]
    owner = bearer(login(client, "owner1"))
    queue.jobs.clear()  # the mails and the dog's picture: not this test's

    token = merge_token(client, guest_id, owner_id)
    accepted = client.post("/auth/guest/merge", json={"merge_token": token}, headers=owner)
    assert accepted.status_code == 202, accepted.get_json()
    assert client.get("/user", headers=guest).status_code == 401  # at once
    drain(app, queue)

    tasks = client.get("/tasks", headers=owner).get_json()["items"]
    assert [t["id"] for t in tasks] == [owned.task]
    dog = client.get("/dogs/Rex").get_json()
    assert (dog["id"], dog["id_user"], dog["name"]) == (owned.dog, owner_id, "Rex")
    guest_left = adapters.of(AccountsAdapters).users.get(guest_id)
    assert guest_left is None or guest_left.deleted_at is not None
    assert client.post("/login", json={"username": "guest1", "password": "x" * 12}).status_code in (
        401,
        403,
    )

    receiver.wait_for(lambda: len(receiver.on("/hooks")) == 1)
    delivered = receiver.on("/hooks")[0]
    Webhook(created.secret).verify(delivered.body, delivered.headers)
    body = json.loads(delivered.body)
    assert body["type"] == "guest.merged"
    assert (body["data"]["from"], body["data"]["to"]) == (guest_id, owner_id)
    # The job again (a redelivery): nothing moves twice, nothing is sent twice.
    services(app).of(AccountServices).guest_merges.finish(guest_id)
    drain(app, queue)
    assert len(receiver.on("/hooks")) == 1
    assert len(client.get("/tasks", headers=owner).get_json()["items"]) == 1


@pytest.fixture
def racing(client: FlaskClient, adapters: Adapters) -> tuple[str, str]:
    guest_id, guest = make_guest(client, adapters.of(AccountsAdapters).users, "guest2")
    assert client.post("/tasks", json={"title": "once"}, headers=guest).status_code == 201
    return guest_id, register(client, "owner2")["id"]


def test_thirty_parallel_merges_with_one_token_accept_one(
    app: Flask, client: FlaskClient, queue: FakeJobQueue, racing: tuple[str, str]
) -> None:
    guest_id, owner_id = racing
    owner = bearer(login(client, "owner2"))
    token = merge_token(client, guest_id, owner_id)
    queue.jobs.clear()
    body = {"merge_token": token}
    outcomes = race(app, [lambda c: c.post("/auth/guest/merge", json=body, headers=owner)] * RACERS)
    counts = Counter((o.status, o.code) for o in outcomes)
    assert counts == {(202, None): 1, (409, "guest_merge_started"): RACERS - 1}, summary(outcomes)
    assert [job.subject for job in queue.jobs] == [guest_id]
    drain(app, queue)
    assert len(client.get("/tasks", headers=owner).get_json()["items"]) == 1


def test_thirty_parallel_merges_into_several_accounts_accept_one(
    app: Flask, client: FlaskClient, queue: FakeJobQueue, racing: tuple[str, str]
) -> None:
    guest_id, first_id = racing
    owners = [(first_id, bearer(login(client, "owner2")))]
    for name in ("owner3", "owner4"):
        user_id: str = register(client, name)["id"]
        owners.append((user_id, bearer(login(client, name))))
    bodies = [({"merge_token": merge_token(client, guest_id, i)}, auth) for i, auth in owners]
    queue.jobs.clear()
    calls = [
        (lambda c, b=b, a=a: c.post("/auth/guest/merge", json=b, headers=a))
        for b, a in bodies * (RACERS // len(bodies))
    ]
    outcomes = race(app, calls)
    counts = Counter((o.status, o.code) for o in outcomes)
    assert counts == {(202, None): 1, (409, "guest_merge_started"): RACERS - 1}, summary(outcomes)
    drain(app, queue)
    held = [len(client.get("/tasks", headers=auth).get_json()["items"]) for _, auth in owners]
    assert sorted(held) == [0, 0, 1]  # one account took the guest's task, once
