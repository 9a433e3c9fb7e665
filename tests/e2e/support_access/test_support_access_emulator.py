"""Support access on the Firestore emulator (docs/support-access.md): a session an org's
admin began acts in that org alone, and makes nothing that outlasts it in any org of the
person's; its org's log reads one start and its end; and 30 starts at once for one member
are each a definite answer (several may coexist: docs/decisions/0601-several-support-
sessions-may-coexist.md)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap import build_adapters
from tests.fakes.kernel import FakeJobQueue
from tests.support.api import bearer, login, register, services
from tests.support.app import app_on, swap
from tests.support.races import RACERS, race, statuses, summary
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
Auth = dict[str, str]
BODY = {"reason": "Ticket 4711", "minutes": 10}


@pytest.fixture
def app(firestore: Any) -> Flask:
    settings = make_settings()
    # The person's notice mails stay queued: the races start 30 of them.
    adapters = swap(build_adapters(settings, firestore=firestore), job_queue=FakeJobQueue().attach)
    return app_on(settings, adapters)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def acme(app: Flask, client: FlaskClient) -> dict[str, tuple[str, Auth]]:
    """acme: olga owns it, sam is an admin whose role carries org:impersonate, bob a member;
    bob owns bobco, which forbids support access."""
    people: dict[str, tuple[str, Auth]] = {}
    for name in ("olga", "sam", "bob"):
        people[name] = (register(client, name)["id"], bearer(login(client, name)))
    olga, bob = people["olga"][1], people["bob"][1]
    assert (
        client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga).status_code == 201
    )
    for name, held in (("sam", "admin"), ("bob", "member")):
        services(app).of(OrgServices).members.add_member(AddMember("acme", name, (held,)))
    role = {"description": "Admins", "permissions": ["org:impersonate"]}
    assert client.put("/orgs/acme/roles/admin", json=role, headers=olga).status_code in (200, 201)
    assert (
        client.post("/orgs", json={"slug": "bobco", "name": "Bobco"}, headers=bob).status_code
        == 201
    )
    forbid = client.patch("/orgs/bobco", json={"impersonation": "forbid"}, headers=bob)
    assert forbid.status_code == 200
    return people


def test_an_orgs_support_access_stays_in_its_org_and_makes_nothing_lasting(
    client: FlaskClient, acme: dict[str, tuple[str, Auth]]
) -> None:
    """The issue's path: sam, acting as bob for acme, in bob's own org."""
    (sam_id, sam), (bob_id, _), (_, olga) = acme["sam"], acme["bob"], acme["olga"]
    started = client.post(f"/orgs/acme/members/{bob_id}/impersonate", json=BODY, headers=sam)
    assert started.status_code == 201, started.get_json()
    acting = bearer(started.get_json()["access_token"])

    switched = client.post("/auth/org", json={"org": "bobco"}, headers=acting)
    assert (switched.status_code, switched.get_json()["code"]) == (
        403,
        "impersonation_bound_to_org",
    )
    for path, body in (
        ("/orgs/bobco/scim/tokens", {"name": "mine"}),
        ("/orgs/bobco/clients", {"name": "mine", "redirect_uris": ["https://x.example/cb"]}),
        ("/orgs/bobco/invitations", {"email": "sam@example.com", "roles": ["owner"]}),
        ("/orgs/acme/scim/tokens", {"name": "mine"}),
        ("/auth/tokens", {"name": "mine", "scopes": ["read"], "expires_in": 3600}),
    ):
        made = client.post(path, json=body, headers=acting)
        assert (made.status_code, made.get_json()["code"]) == (403, "impersonation_forbidden")
    renamed = client.patch("/user", json={"username": "bobby"}, headers=acting)
    assert renamed.status_code == 403
    read = client.get("/orgs/bobco/members", headers=acting)
    assert (read.status_code, read.get_json()["code"]) == (403, "impersonation_bound_to_org")
    assert client.post("/auth/org", json={"org": "acme"}, headers=acting).status_code == 200
    assert client.post("/auth/impersonation/end", headers=acting).status_code == 204

    logged = client.get("/orgs/acme/events", headers=olga).get_json()["items"]
    support = [(e["type"], e["user_id"], e["actor_id"], e["minutes"]) for e in logged]
    assert [row for row in support if row[0].startswith("impersonation.")] == [
        ("impersonation.ended", bob_id, sam_id, None),
        ("impersonation.started", bob_id, sam_id, 10),
    ]
    bobs = client.get("/orgs/bobco/events", headers=bearer(login(client, "bob"))).get_json()
    assert [e["type"] for e in bobs["items"]] == ["org.updated", "org.created"]
    assert client.get("/user", headers=bearer(login(client, "bob"))).get_json()["username"] == (
        "bob"
    )


def test_thirty_starts_at_once_for_one_member_each_get_their_session(
    app: Flask, acme: dict[str, tuple[str, Auth]]
) -> None:
    """Several sessions of support access of one person may coexist: each of 30 starts at
    once is its own session (201), never a 5xx; each is on the org's log once."""
    (_, sam), (bob_id, _), (_, olga) = acme["sam"], acme["bob"], acme["olga"]
    path = f"/orgs/acme/members/{bob_id}/impersonate"
    outcomes = race(app, [lambda c: c.post(path, json=BODY, headers=sam)] * RACERS)
    assert statuses(outcomes) == {201: RACERS}, summary(outcomes)
    client = app.test_client()
    starts = []
    cursor: str | None = ""
    while cursor is not None:
        query = f"?limit=100&cursor={cursor}" if cursor else "?limit=100"
        page = client.get(f"/orgs/acme/events{query}", headers=olga).get_json()
        starts += [e for e in page["items"] if e["type"] == "impersonation.started"]
        cursor = page["next_cursor"]
    assert len(starts) == RACERS and {e["user_id"] for e in starts} == {bob_id}
