"""30-way races on the Firestore emulator: every racer gets a definite answer.

Each race starts 30 requests at once (a barrier) through Flask's test client on the real
Firestore adapters and asserts: exactly one winner where all want one name, the rest 409;
every writer served where they change one document in turn; definite 4xx answers otherwise;
no 5xx; and claims that match their owners afterwards. Read-write transactions would make
the racers abort each other until their retry budget ran out (docs/decisions/0060 and 0061):
503 means Firestore is down. How fast the racers are answered (p50, p99) is printed (pytest
-s) and measured by bench/contention.py: a test asserts outcomes, never a time
(docs/decisions/0341-tests-assert-outcomes-not-times.md).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from tests.fakes.kernel import FakeJobQueue
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.app import app_on, swap
from tests.support.dataset_samples import upload
from tests.support.races import RACERS, Call, Outcome, race, statuses, summary
from tests.support.settings import make_settings
from tests.support.stored_documents import assert_claims_match_live_users, count

pytestmark = pytest.mark.e2e


def assert_deleted(outcomes: Sequence[Outcome], late: int) -> None:
    """Deleting is idempotent: one 204 at least, the rest 204 or ``late`` (gone already)."""
    assert statuses(outcomes)[204] >= 1, summary(outcomes)
    assert set(statuses(outcomes)) <= {204, late}, summary(outcomes)


@pytest.fixture
def app(firestore: Any) -> Flask:
    # The races rename one account 30 times: the per-account cap on identity changes has
    # tests of its own (tests/e2e/test_accounts_emulator.py).
    settings = make_settings(identity_change_limit=1000)
    # Jobs stay queued: no background writer joins the races.
    adapters = swap(build_adapters(settings, firestore=firestore), job_queue=FakeJobQueue().attach)
    return app_on(settings, adapters)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def log_in(client: FlaskClient, username: str) -> dict[str, str]:
    response = client.post("/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return bearer(response.get_json()["access_token"])


def sign_up(client: FlaskClient, username: str) -> dict[str, str]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    assert client.post("/register", json=body).status_code == 201
    return log_in(client, username)


def accounts(client: FlaskClient, count: int = RACERS) -> list[dict[str, str]]:
    return [sign_up(client, f"racer{i:02d}") for i in range(count)]


def uploader(app: Flask, client: FlaskClient) -> dict[str, str]:
    sign_up(client, "ulla")
    result = app.test_cli_runner().invoke(args=["users", "set-role", "ulla", "uploader"])
    assert result.exit_code == 0, result.output
    return log_in(client, "ulla")


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_thirty_renames_to_one_free_name(
    app: Flask, client: FlaskClient, firestore: Any, method: str
) -> None:
    headers = accounts(client)

    def rename(auth: dict[str, str]) -> Call:
        return lambda c: c.open("/user", method=method, json={"username": "prize"}, headers=auth)

    outcomes = race(app, [rename(h) for h in headers])

    assert statuses(outcomes) == {200: 1, 409: RACERS - 1}, summary(outcomes)
    assert {o.code for o in outcomes if o.status == 409} == {"username_taken"}
    assert_claims_match_live_users(firestore)
    winners = [s for s in firestore.collection("users").stream() if s.get("username") == "prize"]
    assert len(winners) == 1
    assert log_in(client, "prize")  # the claim names the winner


def test_thirty_address_changes_to_one_free_address(
    app: Flask, client: FlaskClient, firestore: Any
) -> None:
    headers = accounts(client)

    def change(auth: dict[str, str]) -> Call:
        return lambda c: c.patch("/user", json={"email": "prize@example.com"}, headers=auth)

    outcomes = race(app, [change(h) for h in headers])

    assert statuses(outcomes) == {200: 1, 409: RACERS - 1}, summary(outcomes)
    assert {o.code for o in outcomes if o.status == 409} == {"email_taken"}
    assert_claims_match_live_users(firestore)
    assert log_in(client, "prize@example.com")


@pytest.mark.parametrize("field", ["name", "username"])
def test_thirty_changes_of_one_account_all_apply_in_turn(
    app: Flask, client: FlaskClient, firestore: Any, field: str
) -> None:
    auth = sign_up(client, "alice")
    values = [f"alice{i:02d}" for i in range(RACERS)]

    def change(value: str) -> Call:
        return lambda c: c.patch("/user", json={field: value}, headers=auth)

    sign_up(client, "bob")  # another account, whose claims the race leaves alone
    outcomes = race(app, [change(value) for value in values])

    assert statuses(outcomes) == {200: RACERS}, summary(outcomes)
    assert client.get("/user", headers=auth).get_json()[field] in values
    assert_claims_match_live_users(firestore)  # a renamed account released every old name
    assert count(firestore, "usernames") == 2  # alice's and bob's, no old one left


def test_account_deletes_during_renames_leave_no_dangling_claim(
    app: Flask, client: FlaskClient, firestore: Any
) -> None:
    headers = accounts(client, RACERS // 2)

    def rename(auth: dict[str, str]) -> Call:
        return lambda c: c.patch("/user", json={"username": "prize"}, headers=auth)

    def delete(auth: dict[str, str]) -> Call:
        return lambda c: c.delete("/user", headers=auth)

    outcomes = race(app, [call for h in headers for call in (rename(h), delete(h))])

    renames, deletes = outcomes[0::2], outcomes[1::2]
    # A rename that comes after its account's deletion finds no account (401 or 404).
    assert statuses(deletes) == {204: RACERS // 2}, summary(outcomes)
    assert set(statuses(renames)) <= {200, 401, 404, 409}, summary(outcomes)
    # More than one rename may win: once the holder's account is deleted the name is free
    # again for the next racer. That at most one live account holds it at a time is what
    # the claims left behind show.
    assert_claims_match_live_users(firestore)
    assert count(firestore, "users") == 0


def test_thirty_deletes_of_one_account(app: Flask, client: FlaskClient, firestore: Any) -> None:
    auth = sign_up(client, "alice")

    outcomes = race(app, [lambda c: c.delete("/user", headers=auth)] * RACERS)

    assert_deleted(outcomes, 401)  # 401: its token died with the account
    assert client.get("/user", headers=auth).status_code == 401
    assert count(firestore, "users") == count(firestore, "usernames") == 0


def uploads_then_deletes(
    app: Flask, firestore: Any, auth: dict[str, str], collection: str, post: Call
) -> None:
    """30 uploads at once (all 201), then 30 deletions of one of them at once."""
    outcomes = race(app, [post] * RACERS)

    assert statuses(outcomes) == {201: RACERS}, summary(outcomes)
    assert count(firestore, collection) == RACERS

    doc_id = firestore.collection(collection).limit(1).get()[0].id
    outcomes = race(app, [lambda c: c.delete(f"/{collection}/{doc_id}", headers=auth)] * RACERS)

    assert_deleted(outcomes, 404)
    assert count(firestore, collection) == RACERS - 1


def test_thirty_dataset_uploads_and_deletes(
    app: Flask, client: FlaskClient, firestore: Any
) -> None:
    auth = uploader(app, client)
    csv = "name,age\nada,36\nbob,41\n"
    uploads_then_deletes(app, firestore, auth, "datasets", lambda c: upload(c, auth, csv))


def test_thirty_file_uploads_and_deletes(app: Flask, client: FlaskClient, firestore: Any) -> None:
    auth = sign_up(client, "alice")

    def post(c: FlaskClient) -> TestResponse:
        return c.post("/files", headers=auth, data={"file": (io.BytesIO(b"hello"), "a.txt")})

    uploads_then_deletes(app, firestore, auth, "files", post)


def test_thirty_ends_of_one_session(app: Flask, client: FlaskClient, firestore: Any) -> None:
    auth = sign_up(client, "alice")
    other = log_in(client, "alice")
    session_id = client.get("/auth/whoami", headers=other).get_json()["session_id"]

    outcomes = race(
        app, [lambda c: c.delete(f"/auth/sessions/{session_id}", headers=auth)] * RACERS
    )

    assert_deleted(outcomes, 404)
    assert client.get("/user", headers=other).status_code == 401
    assert client.get("/user", headers=auth).status_code == 200


def test_thirty_logouts_everywhere_of_one_user(
    app: Flask, client: FlaskClient, firestore: Any
) -> None:
    sign_up(client, "alice")
    sessions = [log_in(client, "alice") for _ in range(RACERS)]

    def logout(auth: dict[str, str]) -> Call:
        return lambda c: c.post("/auth/logout?all=true", headers=auth)

    outcomes = race(app, [logout(auth) for auth in sessions])

    # A logout whose session another one has already ended is 401: the token is dead.
    assert_deleted(outcomes, 401)
    assert all(client.get("/user", headers=auth).status_code == 401 for auth in sessions)
    assert count(firestore, "sessions") == 0


def test_thirty_uses_of_one_reset_token(real_app: Flask, firestore: Any) -> None:
    """Action tokens are claimed with a write precondition: one use lands, 29 are invalid."""
    client = real_app.test_client()
    sign_up(client, "alice")
    client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    mails = mailbox.wait_for("alice@example.com", 2)  # the verification mail, then the reset
    [reset_mail] = [m for m in mails if "/reset-password?token=" in m["text"]]
    token = mailbox.token_in(reset_mail)

    def reset(i: int) -> Call:
        body = {"token": token, "new_password": f"a brand new passphrase {i:02d}"}
        return lambda c: c.post("/auth/password/reset", json=body)

    outcomes = race(real_app, [reset(i) for i in range(RACERS)])

    assert statuses(outcomes) == Counter({204: 1, 400: RACERS - 1}), summary(outcomes)
    assert {o.code for o in outcomes if o.status == 400} == {"invalid_token"}
    [winner] = [i for i, o in enumerate(outcomes) if o.status == 204]
    log_in_with = {"username": "alice", "password": f"a brand new passphrase {winner:02d}"}
    assert client.post("/login", json=log_in_with).status_code == 200
