"""Firestore answers a commit it could not apply under contention with ABORTED. A
registration's commit of three creates is then sent again (nothing of it was written),
and the registration ends in 201 or 409 -- never 500, and never half-written. Injected:
the emulator does not abort batched creates on its own."""

from __future__ import annotations

from typing import Any, cast

import pytest
from flask import Flask
from google.api_core.exceptions import Aborted
from google.cloud.firestore import Client

from bootstrap import build_adapters
from infrastructure.firestore.accounts.users import FirestoreUserRepository
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.reads import MAX_ABORTED_COMMITS
from tests.support.api import PASSWORD
from tests.support.app import app_on, swap
from tests.support.settings import make_settings

pytestmark = pytest.mark.integration


class AbortingClient:
    """The Firestore client, except that its next ``aborts`` batch commits fail with
    Aborted before reaching Firestore (as a commit that lost to contention: no writes)."""

    def __init__(self, client: Any, aborts: int = 0) -> None:
        self._client = client
        self.aborts = aborts
        self.commits = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch(self) -> Any:
        batch = self._client.batch()
        commit = batch.commit

        def aborting_commit(**kwargs: Any) -> Any:
            self.commits += 1
            if self.aborts > 0:
                self.aborts -= 1
                raise Aborted("Too much contention on these documents. Please try again.")  # type: ignore[no-untyped-call]
            return commit(**kwargs)

        batch.commit = aborting_commit
        return batch


@pytest.fixture
def aborting(firestore: Any) -> AbortingClient:
    return AbortingClient(firestore)


@pytest.fixture
def app(firestore: Any, aborting: AbortingClient) -> Flask:
    settings = make_settings()
    adapters = build_adapters(settings, firestore=firestore)
    return app_on(
        settings,
        swap(
            adapters,
            users=FirestoreUserRepository(cast(Client, aborting), write_staged=write_staged),
        ),
    )


def count(firestore: Any, collection: str) -> int:
    return sum(1 for _ in firestore.collection(collection).stream())


def register(app: Flask, username: str, email: str) -> Any:
    body = {"username": username, "email": email, "password": PASSWORD}
    return app.test_client().post("/register", json=body)


def test_an_aborted_registration_is_sent_again_and_succeeds(
    app: Flask, aborting: AbortingClient, firestore: Any
) -> None:
    aborting.aborts = 2
    created = register(app, "alice", "alice@example.com")
    assert created.status_code == 201, created.get_json()
    assert aborting.commits == 3
    assert [count(firestore, c) for c in ("users", "usernames", "emails")] == [1, 1, 1]
    login = app.test_client().post("/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200


def test_an_aborted_registration_of_a_taken_name_is_409(
    app: Flask, aborting: AbortingClient, firestore: Any
) -> None:
    assert register(app, "alice", "alice@example.com").status_code == 201
    aborting.aborts = 1
    taken = register(app, "ALICE", "other@example.com")
    assert taken.status_code == 409
    assert taken.get_json()["code"] == "username_taken"
    assert [count(firestore, c) for c in ("users", "usernames", "emails")] == [1, 1, 1]


def test_contention_that_does_not_end_is_a_503_with_retry_after(
    app: Flask, aborting: AbortingClient, firestore: Any
) -> None:
    aborting.aborts = MAX_ABORTED_COMMITS
    busy = register(app, "alice", "alice@example.com")
    assert busy.status_code == 503
    assert busy.mimetype == "application/problem+json"
    assert busy.headers["Retry-After"] == "1"
    assert aborting.commits == MAX_ABORTED_COMMITS
    assert [count(firestore, c) for c in ("users", "usernames", "emails")] == [0, 0, 0]
    assert register(app, "alice", "alice@example.com").status_code == 201  # and then it works
