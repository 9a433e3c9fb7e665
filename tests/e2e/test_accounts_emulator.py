"""The account flow over HTTP (Flask test client) on the Firestore emulator, real argon2."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from infrastructure.firestore.events.security_events import write_staged
from tests.support.api import PASSWORD, bearer, login, register

pytestmark = pytest.mark.e2e


def count(firestore: Any, collection: str) -> int:
    return sum(1 for _ in firestore.collection(collection).stream())


def test_full_account_flow(real_client: FlaskClient, firestore: Any) -> None:
    assert real_client.get("/readyz").status_code == 200
    user = register(real_client, "alice", name="Alice")
    token = login(real_client, "Alice@Example.com")
    me = real_client.get("/user", headers=bearer(token)).get_json()
    assert me == user
    stored = firestore.collection("users").document(user["id"]).get().to_dict()
    assert stored["password_hash"].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "password_hash" not in me
    assert firestore.collection("usernames").document("alice").get().exists
    assert firestore.collection("emails").document("alice@example.com").get().exists

    put = real_client.put(
        "/user", json={"username": "alicia", "email": "alicia@example.com"}, headers=bearer(token)
    )
    assert put.status_code == 200 and put.get_json()["username"] == "alicia"
    assert not firestore.collection("usernames").document("alice").get().exists
    assert count(firestore, "usernames") == count(firestore, "emails") == 1

    assert real_client.delete("/user", headers=bearer(token)).status_code == 204
    assert real_client.get("/user", headers=bearer(token)).status_code == 401
    for collection in ("users", "usernames", "emails", "sessions"):
        assert count(firestore, collection) == 0, collection
    again = register(real_client, "alicia")
    assert again["id"] != user["id"]
    assert real_client.get("/user", headers=bearer(token)).status_code == 401


def test_old_parameter_hash_is_upgraded_on_login(real_client: FlaskClient, firestore: Any) -> None:
    import argon2

    user = register(real_client, "alice")
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    ref = firestore.collection("users").document(user["id"])
    ref.update({"password_hash": weak})
    login(real_client, "alice")
    assert ref.get().to_dict()["password_hash"].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_password_change_ends_other_sessions(real_client: FlaskClient) -> None:
    register(real_client, "alice")
    mine, other = login(real_client), login(real_client)
    body = {"current_password": PASSWORD, "new_password": "a different long passphrase"}
    wrong = {"current_password": "nope nope nope", "new_password": "whatever passphrase 1"}
    assert real_client.put("/user/password", json=wrong, headers=bearer(mine)).status_code == 403
    assert real_client.put("/user/password", json=body, headers=bearer(mine)).status_code == 204
    assert real_client.get("/user", headers=bearer(mine)).status_code == 200
    assert real_client.get("/user", headers=bearer(other)).status_code == 401
    bad = real_client.post("/login", json={"username": "alice", "password": PASSWORD})
    assert bad.status_code == 401
    login(real_client, "alice", "a different long passphrase")


def test_interrupted_deletion_is_resumed_by_cli(real_app: Any, firestore: Any) -> None:
    client = real_app.test_client()
    user = register(client, "alice")
    token = login(client)
    from datetime import UTC, datetime

    from infrastructure.firestore.accounts.users import FirestoreUserRepository

    FirestoreUserRepository(firestore, write_staged=write_staged).mark_deleted(
        user["id"], datetime.now(UTC)
    )  # "crash"
    assert client.get("/user", headers=bearer(token)).status_code == 401
    assert (
        client.post("/login", json={"username": "alice", "password": PASSWORD}).status_code == 401
    )
    register(client, "alice")  # nothing blocks re-registration
    result = real_app.test_cli_runner().invoke(args=["users", "purge-deleted"])
    assert result.exit_code == 0 and "purged 1" in result.output
    assert not firestore.collection("users").document(user["id"]).get().exists
    assert count(firestore, "sessions") == 0


def test_changes_of_address_are_capped_per_account_with_request_limits_off(
    firestore: Any,
) -> None:
    """Ten attempted changes of address an hour, 409s included; the eleventh is a 429 even
    with the per-address request limits switched off (docs/security.md)."""
    from bootstrap import build_adapters
    from tests.support.app import app_on
    from tests.support.settings import make_settings

    settings = make_settings(rate_limit_enabled=False)
    client = app_on(settings, build_adapters(settings, firestore=firestore)).test_client()
    register(client, "oscar")  # names no other test mails: its mails arrive late
    register(client, "peggy")
    token = login(client, "oscar")
    statuses = []
    for i in range(11):
        email = "peggy@example.com" if i % 2 else f"oscar{i}@example.com"
        statuses.append(client.patch("/user", json={"email": email}, headers=bearer(token)))
    assert [r.status_code for r in statuses[:10]] == [200, 409] * 5
    refused = statuses[10]
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "too_many_identity_changes"
    # A sliding window over two fixed ones, the refused attempt counted too: within the first
    # minutes of an hour the wait is longer than the hour (it failed at 10:05 with 4213 s).
    assert 1 <= int(refused.headers["Retry-After"]) <= 2 * 3600
    assert client.patch("/user", json={"name": "Al"}, headers=bearer(token)).status_code == 200
