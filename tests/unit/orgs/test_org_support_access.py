"""Support access in an org on the fakes (docs/support-access.md, "In an organization"): an
owner or admin whose roles carry org:impersonate acts as a member, never as an owner or
someone outside the org, never where the org forbids it; the org's setting."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.ports import Audit
from interfaces.web.browser import EXTENSION
from tests.fakes.events import RecordingAuditLog
from tests.support.api import assert_problem, bearer, login, register, services

pytestmark = pytest.mark.unit
Auth = dict[str, str]
BODY = {"reason": "Ticket 4711", "minutes": 10}


def signed_in(client: FlaskClient, name: str) -> tuple[str, Auth]:
    user_id = register(client, name)["id"]
    return user_id, bearer(login(client, name))


def act_of(token: str) -> Any:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))).get("act")


@pytest.fixture
def acme(fake_app: Flask, client: FlaskClient) -> dict[str, tuple[str, Auth]]:
    """acme: olga owns it, adam and ada are admins, bob and bea members; zed is outside.
    Its admin role carries org:impersonate."""
    names = ("olga", "adam", "ada", "bob", "bea", "zed")
    people = {name: signed_in(client, name) for name in names}
    made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=people["olga"][1])
    assert made.status_code == 201
    for name, role in (("adam", "admin"), ("ada", "admin"), ("bob", "member"), ("bea", "member")):
        services(fake_app).orgs.members.add_member(AddMember("acme", name, (role,)))
    body = {"description": "Admins", "permissions": ["org:impersonate"]}
    put = client.put("/orgs/acme/roles/admin", json=body, headers=people["olga"][1])
    assert put.status_code in (200, 201), put.get_json()
    return people


def test_an_admin_holding_the_permission_acts_as_a_member(
    client: FlaskClient, acme: dict[str, tuple[str, Auth]], audit_log: RecordingAuditLog
) -> None:
    (adam_id, adam), (bob_id, _) = acme["adam"], acme["bob"]
    started = client.post(f"/orgs/acme/members/{bob_id}/impersonate", json=BODY, headers=adam)
    assert started.status_code == 201, started.get_json()
    access = started.get_json()["access_token"]
    assert act_of(access) == {"sub": adam_id}
    assert client.get("/user", headers=bearer(access)).get_json()["id"] == bob_id
    events = [e for e in audit_log.events if e.event is Audit.IMPERSONATION_STARTED]
    assert {e.user_id for e in events} == {bob_id, adam_id}
    assert {e.org_id for e in events} == {client.get("/orgs/acme", headers=adam).get_json()["id"]}


def test_the_refusals(client: FlaskClient, acme: dict[str, tuple[str, Auth]]) -> None:
    olga_id, olga = acme["olga"]
    (adam_id, adam), (ada_id, _), (bob_id, bob), (zed_id, zed) = (
        acme[n] for n in ("adam", "ada", "bob", "zed")
    )

    def start(who: Auth, user_id: str) -> Any:
        return client.post(f"/orgs/acme/members/{user_id}/impersonate", json=BODY, headers=who)

    assert_problem(start(adam, olga_id), 403, "impersonation_of_owner")
    assert_problem(start(adam, zed_id), 404, "member_not_found")  # not a member
    assert_problem(start(adam, adam_id), 403, "impersonation_of_self")
    assert_problem(start(bob, acme["bea"][0]), 403, "org_permission_denied")  # a member
    assert_problem(start(zed, bob_id), 404, "org_not_found")  # from outside the org
    # An owner whose roles lack the permission: the owner role carries none by itself.
    assert_problem(start(olga, bob_id), 403, "org_permission_denied")
    assert start(adam, ada_id).status_code == 201  # another admin of the org: allowed

    # The org forbids it (its owners' say): no one acts as its members.
    assert_problem(
        client.patch("/orgs/acme", json={"impersonation": "forbid"}, headers=adam),
        403,
        "org_permission_denied",
    )
    patched = client.patch("/orgs/acme", json={"impersonation": "forbid"}, headers=olga)
    assert patched.status_code == 200 and patched.get_json()["impersonation"] == "forbid"
    assert_problem(start(adam, bob_id), 403, "org_forbids_impersonation")
    bad = client.patch("/orgs/acme", json={"impersonation": "maybe"}, headers=olga)
    assert bad.status_code == 422
    client.patch("/orgs/acme", json={"impersonation": "allow"}, headers=olga)
    assert start(adam, bob_id).status_code == 201


def test_the_org_page_lets_owners_forbid_it(
    fake_app: Flask, acme: dict[str, tuple[str, Auth]]
) -> None:
    """The org page's settings: owners see and change support access, as PATCH does."""
    page = fake_app.test_client()
    name = fake_app.extensions[EXTENSION].cookie("session")
    page.set_cookie(name, login(page, "olga"))
    shown = page.get("/account/orgs/acme").get_data(as_text=True)
    assert 'name="impersonation" value="allow" checked' in shown
    token = re.search(r'name="csrf-token" content="([^"]+)"', shown)
    assert token is not None
    form = {"csrf_token": token[1], "name": "Acme", "slug": "acme", "domain_policy": "none"}
    saved = page.post("/account/orgs/acme/settings", data=form)
    assert saved.status_code == 303, saved.get_data(as_text=True)
    olga = acme["olga"][1]
    assert page.get("/orgs/acme", headers=olga).get_json()["impersonation"] == "forbid"
