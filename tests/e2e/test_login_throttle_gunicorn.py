"""Failed logins are throttled (docs/security.md), through the real gunicorn server on the
Firestore emulator (TRUSTED_PROXY_HOPS=0, so X-Forwarded-For is never believed)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.support.api import PASSWORD

pytestmark = pytest.mark.e2e
WRONG = "wrong password!"


def login(url: str, username: str, password: str, n: int) -> requests.Response:
    return requests.post(
        url + "/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": f"198.51.100.{n}"},  # a new "address" on every request
        timeout=30,
    )


def assert_throttled(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    body: dict[str, Any] = response.json()
    assert body["status"] == 429 and body["code"] == "too_many_login_failures"
    return body


def test_eleventh_wrong_password_is_429_and_x_forwarded_for_does_not_dodge_it(
    gunicorn_url: str, firestore: Any
) -> None:
    created = requests.post(
        gunicorn_url + "/register",
        json={"username": "alice", "email": "alice@example.com", "password": PASSWORD},
        timeout=30,
    )
    assert created.status_code == 201
    for n in range(10):
        response = login(gunicorn_url, "alice", WRONG, n)
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid_credentials"
    body = assert_throttled(login(gunicorn_url, "alice", WRONG, 10))
    # Not even the right password is checked now, whatever address the client claims.
    assert assert_throttled(login(gunicorn_url, "alice", PASSWORD, 11)) == body

    # An unknown name behaves exactly alike: a 429 tells nothing about who exists.
    for n in range(10):
        assert login(gunicorn_url, "ghost", WRONG, 20 + n).status_code == 401
    assert assert_throttled(login(gunicorn_url, "ghost", WRONG, 30)) == body

    # The counters live in Firestore (shared by all workers), named by hash, no names inside.
    docs = [snap.to_dict() for snap in firestore.collection("login_failures").stream()]
    ids = [snap.id for snap in firestore.collection("login_failures").stream()]
    assert len(docs) == 5  # alice and ghost: per account+address and per account; one address
    assert all(re.fullmatch(r"[0-9a-f]{64}", doc_id) for doc_id in ids)
    assert not any("alice" in str(doc) or "ghost" in str(doc) for doc in docs)
    assert sorted(doc["kind"] for doc in docs) == sorted(
        ["account_ip", "account_ip", "account", "account", "ip"]
    )
