"""An org's agent policy as its owners read and set it, the agents unit's door
(docs/reference/orgs.md, "Agent policy"): ``GET``/``PUT /orgs/{org}/agent-policy`` for its
owners only, with an ``org.updated`` entry on its audit log; an org that never set one
allows any app. The policy's own rules: tests/unit/orgs/test_agent_policy.py."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from tests.support.api import assert_field_error, assert_problem, bearer, login, register, services

pytestmark = pytest.mark.unit

Auth = dict[str, str]


def test_owners_read_and_set_it_others_are_refused(fake_app: Flask, client: FlaskClient) -> None:
    register(client, "olga")
    olga = bearer(login(client, "olga"))
    made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga)
    assert made.status_code == 201
    path = "/orgs/acme/agent-policy"
    assert client.get(path, headers=olga).get_json() == {"mode": "any", "hosts": []}
    for name, role in (("adam", "admin"), ("mia", "member")):
        register(client, name)
        services(fake_app).of(OrgServices).members.add_member(AddMember("acme", name, (role,)))
        auth = bearer(login(client, name))
        assert_problem(client.get(path, headers=auth), 403, "org_permission_denied")
        put = client.put(path, json={"mode": "none"}, headers=auth)
        assert_problem(put, 403, "org_permission_denied")
    register(client, "stranger")
    outsider = bearer(login(client, "stranger"))
    assert_problem(client.get(path, headers=outsider), 404, "org_not_found")
    body = {"mode": "allow_list", "hosts": ["Agent.Example.com", "mcp.example"]}
    put = client.put(path, json=body, headers=olga)
    assert put.status_code == 200, put.get_json()
    expected = {"mode": "allow_list", "hosts": ["agent.example.com", "mcp.example"]}
    assert put.get_json() == expected
    assert client.get(path, headers=olga).get_json() == expected
    for bad, field, code in (
        ({"mode": "allow_list", "hosts": ["https://x.example"]}, "hosts", "invalid_agent_host"),
        ({"mode": "any", "hosts": ["x.example"]}, "hosts", "invalid_agent_hosts"),
        ({"mode": "some"}, "mode", "literal_error"),
        ({"mode": "none", "extra": 1}, "extra", "unknown_field"),
    ):
        assert_field_error(client.put(path, json=bad, headers=olga), field, code)
    assert client.get(path, headers=olga).get_json() == expected  # nothing changed
    events = client.get("/orgs/acme/events?limit=10", headers=olga).get_json()["items"]
    assert [e["reason"] for e in events if e["type"] == "org.updated"] == ["agent_policy"]
