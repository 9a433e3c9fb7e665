"""Security events over HTTP on the Firestore emulator: what a person did, read back."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from google.cloud.firestore import FieldFilter

from infrastructure.firestore.events.security_events import SECURITY_EVENTS
from tests.support.api import PASSWORD, bearer, login, register

pytestmark = pytest.mark.e2e


def test_a_login_a_wrong_password_and_a_change_show_up_newest_first(
    real_client: FlaskClient, firestore: Any
) -> None:
    user = register(real_client, "alice")
    auth = bearer(login(real_client, "alice"))
    wrong = real_client.post(
        "/login",
        json={"username": "alice", "password": "not the password"},
        headers={"User-Agent": "Guesser/1.0"},
    )
    assert wrong.status_code == 401
    changed = real_client.put(
        "/user/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD + "-2"},
        headers=auth,
    )
    assert changed.status_code == 204, changed.get_json()

    page = real_client.get("/auth/events", headers=auth).get_json()
    assert [(e["type"], e["outcome"], e["reason"]) for e in page["items"]] == [
        ("password.changed", "success", None),
        ("signin.failed", "failure", "wrong_password"),
        ("signin.succeeded", "success", None),
        ("user.created", "success", None),
    ]
    assert page["items"][1]["user_agent"] == "Guesser/1.0"
    times = [e["time"] for e in page["items"]]
    assert times == sorted(times, reverse=True)
    first = real_client.get("/auth/events?limit=3", headers=auth).get_json()
    rest = real_client.get(
        f"/auth/events?limit=3&cursor={first['next_cursor']}", headers=auth
    ).get_json()
    assert first["items"] + rest["items"] == page["items"] and rest["next_cursor"] is None
    only = real_client.get("/auth/events?type=signin.failed", headers=auth).get_json()
    assert [e["id"] for e in only["items"]] == [page["items"][1]["id"]]

    # Stored with the field of the TTL policy, 90 days on (docs/operations.md).
    docs = firestore.collection(SECURITY_EVENTS).where(
        filter=FieldFilter("user_id", "==", user["id"])
    )
    stored = [snap.to_dict() for snap in docs.stream()]
    assert len(stored) == 4
    for data in stored:
        assert (data["expires_at"] - data["at"]).days == 90
