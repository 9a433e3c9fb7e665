"""``orgs create|list|delete`` and ``orgs members add|remove`` on the fakes: what an operator
sees, and what the API then answers (docs/reference/orgs.md)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import bearer, login, register

pytestmark = pytest.mark.unit


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["orgs", *args])
    return result.exit_code, result.output


def test_an_operator_creates_lists_and_deletes_orgs(fake_app: Flask, client: FlaskClient) -> None:
    alice = register(client, "alice")
    code, out = run(fake_app, "create", "acme", "Acme Inc.", "--owner", "alice")
    assert code == 0 and out.startswith("acme (") and out.endswith("owned by alice\n")
    auth = bearer(login(client, "alice"))
    org = client.get("/orgs/acme", headers=auth).get_json()
    assert org["roles"] == ["owner"] and org["name"] == "Acme Inc."
    members = client.get("/orgs/acme/members", headers=auth).get_json()["items"]
    assert [m["user_id"] for m in members] == [alice["id"]]
    assert run(fake_app, "list") == (0, f"{org['id']}\tacme\tAcme Inc.\t1 owner(s)\n")
    refused = run(fake_app, "create", "acrne", "Look-alike", "--owner", "alice")
    assert refused[0] == 1 and "slug is already taken" in refused[1]
    assert run(fake_app, "create", "other", "x", "--owner", "nobody")[0] == 1
    assert run(fake_app, "delete", "acme") == (0, f"acme ({org['id']}) deleted\n")
    assert client.get("/orgs/acme", headers=auth).status_code == 404
    assert run(fake_app, "list") == (0, "")
    assert run(fake_app, "delete", "acme")[0] == 1
    mine = client.get("/auth/events", headers=auth).get_json()["items"]
    created = [e for e in mine if e["type"] == "org.created"]
    assert [e["actor_id"] for e in created] == ["cli"]  # about alice, made by the operator


def test_an_operator_adds_and_removes_members(fake_app: Flask, client: FlaskClient) -> None:
    register(client, "alice")
    bob = register(client, "bobby")
    run(fake_app, "create", "acme", "Acme", "--owner", "alice")
    code, out = run(fake_app, "members", "add", "acme", "bobby", "--role", "admin")
    assert code == 0 and out == f"bobby ({bob['id']}) is a member: admin\n"
    auth = bearer(login(client, "bobby"))
    assert client.get("/orgs/acme", headers=auth).get_json()["roles"] == ["admin"]
    again = run(fake_app, "members", "add", "acme", "bobby")
    assert again[0] == 1 and "already a member" in again[1]
    assert run(fake_app, "members", "add", "acme", "alice", "--role", "boss")[0] == 1
    assert run(fake_app, "members", "remove", "acme", "bobby") == (
        0,
        f"bobby ({bob['id']}) removed\n",
    )
    assert client.get("/orgs/acme", headers=auth).status_code == 404
    last = run(fake_app, "members", "remove", "acme", "alice")
    assert last[0] == 1 and "at least one owner" in last[1]
    assert run(fake_app, "members", "add", "nothing", "bobby")[0] == 1
