"""Personal access tokens on the real app and the Firestore emulator, mail through maildev
(docs/reference/tokens.md): made, used within their scopes, refused outside them and where
only a session may act, and ended by revocation, logout everywhere, a reset, disabling and
the account's deletion."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer, login, register

pytestmark = pytest.mark.e2e
PARALLEL = 30


def _token(client: FlaskClient, session: dict[str, str], scopes: list[str]) -> dict[str, Any]:
    body = {"name": "script", "scopes": scopes, "expires_in": 3600}
    created = client.post("/auth/tokens", json=body, headers=session)
    assert created.status_code == 201, created.get_json()
    result: dict[str, Any] = created.get_json()
    return result


def _refused(response: Any, status: int, code: str) -> None:
    assert (response.status_code, response.get_json()["code"]) == (status, code)


def test_made_listed_used_within_scopes_and_revoked(real_client: FlaskClient) -> None:
    register(real_client, "alice")
    session = bearer(login(real_client, "alice"))
    reader = _token(real_client, session, ["read"])
    writer = _token(real_client, session, ["write"])
    listed = real_client.get("/auth/tokens", headers=session).get_json()["items"]
    assert [t["id"] for t in listed] == [writer["id"], reader["id"]]
    assert "token" not in listed[0]
    read, write = bearer(reader["token"]), bearer(writer["token"])
    assert real_client.get("/user", headers=read).get_json()["username"] == "alice"
    _refused(
        real_client.post("/tasks", json={"title": "x"}, headers=read), 403, "insufficient_scope"
    )
    assert real_client.post("/tasks", json={"title": "x"}, headers=write).status_code == 201
    # A token makes no token, changes neither the password nor the address, deletes nothing.
    body = {"name": "x", "scopes": ["read"], "expires_in": 60}
    _refused(real_client.post("/auth/tokens", json=body, headers=write), 403, "session_required")
    change = {"current_password": PASSWORD, "new_password": "another fine passphrase"}
    _refused(real_client.put("/user/password", json=change, headers=write), 403, "session_required")
    address = {"email": "thief@example.com"}
    _refused(real_client.patch("/user", json=address, headers=write), 403, "session_required")
    _refused(real_client.delete("/user", headers=write), 403, "session_required")
    me = real_client.get("/user", headers=session).get_json()
    assert me["email"] == "alice@example.com"
    assert real_client.delete(f"/auth/tokens/{writer['id']}", headers=session).status_code == 204
    _refused(real_client.get("/user", headers=write), 401, "invalid_token")
    types = [
        e["type"] for e in real_client.get("/auth/events", headers=session).get_json()["items"]
    ]
    assert types.count("pat.created") == 2 and types.count("pat.revoked") == 1


def test_thirty_revocations_at_once_one_204(real_app: Flask) -> None:
    client = real_app.test_client()
    register(client, "bob")
    session = bearer(login(client, "bob"))
    token = _token(client, session, ["read"])

    def revoke(_: int) -> int:
        return (
            real_app.test_client()
            .delete(f"/auth/tokens/{token['id']}", headers=session)
            .status_code
        )

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = sorted(pool.map(revoke, range(PARALLEL)))
    assert statuses == [204] + [404] * (PARALLEL - 1)


def test_logout_everywhere_ends_tokens(real_client: FlaskClient) -> None:
    register(real_client, "carol")
    session = bearer(login(real_client, "carol"))
    token = bearer(_token(real_client, session, ["read"])["token"])
    assert real_client.post("/auth/logout?all=true", headers=session).status_code == 204
    _refused(real_client.get("/user", headers=token), 401, "invalid_token")


def test_a_password_reset_ends_tokens(real_client: FlaskClient) -> None:
    register(real_client, "dave")
    token = bearer(_token(real_client, bearer(login(real_client, "dave")), ["read"])["token"])
    real_client.post("/auth/password/forgot", json={"email": "dave@example.com"})
    mails = mailbox.wait_for("dave@example.com", 2)
    [reset_mail] = [m for m in mails if "/reset-password?token=" in m["text"]]
    body = {"token": mailbox.token_in(reset_mail), "new_password": "a brand new passphrase 42"}
    assert real_client.post("/auth/password/reset", json=body).status_code == 204
    _refused(real_client.get("/user", headers=token), 401, "invalid_token")


def test_disabling_and_deletion_end_tokens(real_app: Flask) -> None:
    client = real_app.test_client()
    register(client, "root")
    real_app.extensions["firegate"].of(AccountServices).admin.set_role(SetRole("root", "admin"))
    admin = bearer(login(client, "root"))
    erin = register(client, "erin")
    erin_token = bearer(_token(client, bearer(login(client, "erin")), ["read"])["token"])
    disabled = client.patch(f"/users/{erin['id']}", json={"disabled": True}, headers=admin)
    assert disabled.status_code == 200, disabled.get_json()
    _refused(client.get("/user", headers=erin_token), 401, "invalid_token")
    client.patch(f"/users/{erin['id']}", json={"disabled": False}, headers=admin)
    _refused(client.get("/user", headers=erin_token), 401, "invalid_token")  # for good

    register(client, "frank")
    frank = bearer(login(client, "frank"))
    frank_token = _token(client, frank, ["read", "write"])
    assert client.delete("/user", headers=frank).status_code == 204
    _refused(client.get("/user", headers=bearer(frank_token["token"])), 401, "invalid_token")
    register(client, "frank")  # the name again: the old token never opens the new account
    _refused(client.get("/user", headers=bearer(frank_token["token"])), 401, "invalid_token")
    # An admin's token deletes no account, the admin's own included.
    root_token = bearer(_token(client, admin, ["write"])["token"])
    _refused(client.delete(f"/users/{erin['id']}", headers=root_token), 403, "session_required")
