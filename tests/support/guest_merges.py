"""Guests for the merge's tests: an account made a guest, what it owns, over the API, and a
merge into another account (the upgrade route that finds the way in is the other's, its
token, the merge's jobs run)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from flask.testing import FlaskClient

from application.accounts.accounts import UserRepository
from domain.accounts.guest.part import Guest
from domain.accounts.guest.refusals import AccountExists
from interfaces.shared.problems import domain_problem
from tests.fakes.kernel import FakeJobQueue
from tests.support.api import bearer, login, register
from tests.support.app import run_jobs

UPGRADE = "/test/guest-upgrade"  # stands for any upgrade whose way in is another account's


@dataclass(frozen=True)
class Owned:
    """What a guest made: a task and a dog, by id (the datasets' and the files' with their
    units' tests: tests/e2e/datasets/, tests/e2e/files/)."""

    task: str
    dog: str


def make_guest(client: FlaskClient, users: UserRepository, name: str) -> tuple[str, dict[str, str]]:
    """An account turned a guest (its id and bearer header): registered, then flagged as the
    guest sign-up does, with a password the test signs in with."""
    user_id: str = register(client, name)["id"]
    users.update(user_id, lambda user: user.with_part(Guest(is_guest=True)))
    return user_id, bearer(login(client, name))


def make_owned(client: FlaskClient, auth: dict[str, str], dog: str) -> Owned:
    task = client.post("/tasks", json={"title": "the guest's task"}, headers=auth)
    assert task.status_code == 201, task.get_json()
    made = client.post(f"/dogs/{dog}", headers=auth)
    assert made.status_code in (200, 201, 202), made.get_json()
    return Owned(task.get_json()["id"], made.get_json()["id"])


def account_exists(guest_id: str, owner_id: str) -> AccountExists:
    return AccountExists(guest_id=guest_id, owner_id=owner_id)


def with_upgrade_route(app: Flask) -> Flask:
    """``app`` with a route at UPGRADE that refuses as an upgrade whose way in is another
    account's does (409 ``account_exists`` with a merge token)."""

    def upgrade() -> str:
        raise AccountExists(guest_id=request.args["guest"], owner_id=request.args["owner"])

    app.add_url_rule(UPGRADE, "test_guest_upgrade", upgrade, methods=["POST"])
    return app


def merge_token(client: FlaskClient, guest: str, owner: str) -> str:
    answer = client.post(UPGRADE, query_string={"guest": guest, "owner": owner})
    body = answer.get_json()
    assert answer.status_code == 409 and body["code"] == "account_exists", body
    assert guest not in answer.get_data(as_text=True)
    token: str = body["merge_token"]
    return token


def drain(app: Flask, queue: FakeJobQueue) -> None:
    """Run the queued jobs, and those they queue (the webhook's delivery), until none is left."""
    for _ in range(5):
        if not queue.jobs:
            return
        run_jobs(app, queue)
    raise AssertionError(f"jobs keep coming: {queue.jobs}")


def merged(
    app: Flask, queue: FakeJobQueue, guest_id: str, owner: dict[str, str], owner_id: str
) -> None:
    """The guest merged into the owner's account, its jobs run."""
    client = app.test_client()
    token = merge_token(client, guest_id, owner_id)
    accepted = client.post("/auth/guest/merge", json={"merge_token": token}, headers=owner)
    assert accepted.status_code == 202, accepted.get_json()
    drain(app, queue)


def offered_merge_token(app: Flask, guest_id: str, owner_id: str) -> str:
    """The merge token of the 409 a guest's upgrade answers, as the API writes it (no route)."""
    with app.test_request_context():
        answer = domain_problem(account_exists(guest_id, owner_id))
    body: dict[str, str] = answer.get_json()
    assert answer.status_code == 409 and body["code"] == "account_exists"
    return body["merge_token"]
