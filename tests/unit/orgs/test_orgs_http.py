"""Organizations over HTTP on the fakes: create, mine, read, settings, delete, members and
their roles, the last owner, the org's audit log (docs/reference/orgs.md)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.orgs import PURGE_ORG
from application.orgs.services import OrgServices
from bootstrap.adapters import Adapters
from bootstrap.orgs import OrgsAdapters
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.org_domains import FakeTxtRecords
from tests.fakes.orgs import FakeOrgRepository
from tests.support.api import assert_field_error, assert_problem, bearer, login, register, services
from tests.support.app import run_jobs

pytestmark = pytest.mark.unit
Auth = dict[str, str]


class People:
    """Signed-in people of one app: ``people["bob"]`` registers bob on first use."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.tokens: dict[str, Auth] = {}
        self.ids: dict[str, str] = {}

    def __getitem__(self, name: str) -> Auth:
        if name not in self.tokens:
            self.ids[name] = register(self.client, name)["id"]
            self.tokens[name] = bearer(login(self.client, name))
        return self.tokens[name]

    def id(self, name: str) -> str:
        self[name]
        return self.ids[name]


@pytest.fixture
def people(client: FlaskClient) -> People:
    return People(client)


def create(client: FlaskClient, auth: Auth, slug: str = "acme", name: str = "Acme") -> Any:
    response = client.post("/orgs", json={"slug": slug, "name": name}, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def join(app: Flask, people: People, org: str, username: str, *roles: str) -> None:
    people[username]  # registered first
    services(app).of(OrgServices).members.add_member(AddMember(org, username, roles or ("member",)))


def test_the_creator_is_its_owner(client: FlaskClient, people: People) -> None:
    response = client.post(
        "/orgs", json={"slug": "acme", "name": " Acme "}, headers=people["alice"]
    )
    assert response.status_code == 201
    org = response.get_json()
    assert set(org) == {"id", "slug", "name", "created_at", "roles"}
    assert (org["slug"], org["name"], org["roles"]) == ("acme", "Acme", ["owner"])
    assert response.headers["Location"] == f"/orgs/{org['id']}"
    for ref in (org["id"], "acme"):
        got = client.get(f"/orgs/{ref}", headers=people["alice"]).get_json()
        assert got["id"] == org["id"] and got["roles"] == ["owner"]
        assert (got["domain_policy"], got["require_mfa"], got["custom_roles"]) == (
            "none",
            False,
            [],
        )
    members = client.get(f"/orgs/{org['id']}/members", headers=people["alice"]).get_json()
    assert [(m["user_id"], m["roles"]) for m in members["items"]] == [
        (people.id("alice"), ["owner"])
    ]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"slug": "ab", "name": "x"}, "slug", "string_too_short"),
        ({"slug": "Acme", "name": "x"}, "slug", "string_pattern_mismatch"),
        ({"slug": "join", "name": "x"}, "slug", "reserved_slug"),
        ({"slug": "acme", "name": "  "}, "name", "invalid_name"),
    ],
)
def test_a_slug_or_name_out_of_the_rules_is_422(
    client: FlaskClient, people: People, body: dict[str, str], field: str, code: str
) -> None:
    assert_field_error(client.post("/orgs", json=body, headers=people["alice"]), field, code)


def test_a_slug_or_its_look_alike_is_taken_once(client: FlaskClient, people: People) -> None:
    create(client, people["alice"], "acme")
    for slug in ("acme", "acrne"):
        response = client.post("/orgs", json={"slug": slug, "name": "x"}, headers=people["bobby"])
        assert_problem(response, 409, "slug_taken")


def test_mine_are_listed_by_slug_with_my_roles(
    fake_app: Flask, client: FlaskClient, people: People
) -> None:
    zeta = create(client, people["alice"], "zeta")
    create(client, people["bobby"], "alpha")
    join(fake_app, people, "alpha", "alice", "admin")
    mine = client.get("/orgs", headers=people["alice"]).get_json()["items"]
    assert [(o["slug"], o["roles"]) for o in mine] == [("alpha", ["admin"]), ("zeta", ["owner"])]
    assert client.get("/orgs", headers=people["cyril"]).get_json() == {"items": []}
    assert_problem(client.get("/orgs?limit=5", headers=people["alice"]), 422, "validation_failed")
    assert mine[1]["id"] == zeta["id"]


def test_an_org_is_not_found_by_whoever_is_not_in_it(client: FlaskClient, people: People) -> None:
    org = create(client, people["alice"])
    for path in ("", "/members", "/events"):
        assert_problem(
            client.get(f"/orgs/{org['id']}{path}", headers=people["bobby"]), 404, "org_not_found"
        )
    assert_problem(client.get("/orgs/nothing", headers=people["alice"]), 404, "org_not_found")
    response = client.patch("/orgs/acme", json={"name": "Mine"}, headers=people["bobby"])
    assert_problem(response, 404, "org_not_found")
    assert_problem(client.delete("/orgs/acme", headers=people["bobby"]), 404, "org_not_found")
    assert_problem(client.get("/orgs/acme"), 401, "missing_token")


def test_admins_change_the_settings_members_do_not(
    fake_app: Flask, client: FlaskClient, people: People
) -> None:
    create(client, people["alice"])
    join(fake_app, people, "acme", "bobby", "admin")
    join(fake_app, people, "acme", "cyril")
    change = {
        "name": "Acme Two",
        "slug": "acme-two",
        "domain_policy": "auto_join",
        "require_mfa": True,
        "custom_roles": ["billing", "support:read"],
    }
    denied = client.patch("/orgs/acme", json={"name": "x"}, headers=people["cyril"])
    assert_problem(denied, 403, "org_permission_denied")
    changed = client.patch("/orgs/acme", json=change, headers=people["bobby"])
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert {k: body[k] for k in change} == change and body["roles"] == ["admin"]
    assert_problem(client.get("/orgs/acme", headers=people["bobby"]), 404, "org_not_found")
    assert client.get("/orgs/acme-two", headers=people["cyril"]).status_code == 200
    for bad, code in (
        ({"custom_roles": ["owner"]}, "invalid_custom_roles"),
        ({"custom_roles": ["Bad Role"]}, "invalid_custom_roles"),
        ({"name": None}, "null_not_allowed"),
        ({"domain_policy": "always"}, "literal_error"),
    ):
        response = client.patch("/orgs/acme-two", json=bad, headers=people["bobby"])
        assert_field_error(response, next(iter(bad)), code)
    create(client, people["delia"], "other")
    taken = client.patch("/orgs/acme-two", json={"slug": "other"}, headers=people["bobby"])
    assert_problem(taken, 409, "slug_taken")


def test_a_custom_role_a_member_holds_is_not_removed(
    fake_app: Flask, client: FlaskClient, people: People
) -> None:
    org = create(client, people["alice"])
    client.patch("/orgs/acme", json={"custom_roles": ["billing", "ops"]}, headers=people["alice"])
    join(fake_app, people, "acme", "bobby", "member", "billing")
    held = client.patch("/orgs/acme", json={"custom_roles": ["ops"]}, headers=people["alice"])
    assert_problem(held, 409, "custom_role_in_use")
    bo = f"/orgs/{org['id']}/members/{people.id('bobby')}"
    assert client.patch(bo, json={"roles": ["member"]}, headers=people["alice"]).status_code == 200
    freed = client.patch("/orgs/acme", json={"custom_roles": ["ops"]}, headers=people["alice"])
    assert freed.get_json()["custom_roles"] == ["ops"]
    unknown = client.patch(bo, json={"roles": ["billing"]}, headers=people["alice"])
    assert_field_error(unknown, "roles", "unknown_role")


def test_admins_manage_members_only_owners_touch_owners(
    fake_app: Flask, client: FlaskClient, people: People
) -> None:
    org = create(client, people["alice"])
    for name, role in (("bobby", "admin"), ("cyril", "member"), ("delia", "owner")):
        join(fake_app, people, "acme", name, role)
    path = f"/orgs/{org['id']}/members/"

    def roles(who: str, auth: str, *given: str) -> Any:
        return client.patch(
            path + people.id(who), json={"roles": list(given)}, headers=people[auth]
        )

    assert_problem(roles("cyril", "cyril", "admin"), 403, "org_permission_denied")  # a member
    assert roles("cyril", "bobby", "admin").get_json()["roles"] == ["admin"]  # an admin
    assert_problem(roles("cyril", "bobby", "owner"), 403, "org_permission_denied")
    assert_problem(roles("delia", "bobby", "member"), 403, "org_permission_denied")
    assert_problem(
        client.delete(path + people.id("delia"), headers=people["bobby"]),
        403,
        "org_permission_denied",
    )
    assert roles("cyril", "alice", "owner").get_json()["roles"] == ["owner"]  # an owner
    assert_problem(
        roles("nobody", "alice", "member"), 404, "member_not_found"
    )  # registered, no member
    assert_problem(roles("bobby", "alice"), 422, "validation_failed")  # no role at all
    assert_field_error(roles("bobby", "alice", "admin", "admin"), "roles", "invalid_roles")
    assert client.delete(path + people.id("bobby"), headers=people["cyril"]).status_code == 204
    after = client.get(f"/orgs/{org['id']}/members", headers=people["alice"]).get_json()
    assert people.id("bobby") not in [m["user_id"] for m in after["items"]]
    assert_problem(client.get(f"/orgs/{org['id']}", headers=people["bobby"]), 404, "org_not_found")


def test_anyone_leaves_but_the_last_owner(
    fake_app: Flask, client: FlaskClient, people: People
) -> None:
    org = create(client, people["alice"])
    join(fake_app, people, "acme", "bobby")
    path = f"/orgs/{org['id']}/members/"
    assert client.delete(path + people.id("bobby"), headers=people["bobby"]).status_code == 204
    assert_problem(
        client.delete(path + people.id("alice"), headers=people["alice"]), 409, "last_owner"
    )
    demoted = client.patch(
        path + people.id("alice"), json={"roles": ["admin"]}, headers=people["alice"]
    )
    assert_problem(demoted, 409, "last_owner")
    join(fake_app, people, "acme", "cyril", "owner")
    assert client.delete(path + people.id("alice"), headers=people["alice"]).status_code == 204
    assert_problem(
        client.delete(path + people.id("cyril"), headers=people["cyril"]), 409, "last_owner"
    )


def test_members_are_paginated_by_user_id(
    fake_app: Flask, client: FlaskClient, people: People
) -> None:
    org = create(client, people["alice"])
    for i in range(4):
        join(fake_app, people, "acme", f"member{i}")
    path = f"/orgs/{org['id']}/members?limit=2"
    seen: list[str] = []
    page = client.get(path, headers=people["member0"]).get_json()
    while True:
        seen += [m["user_id"] for m in page["items"]]
        if page["next_cursor"] is None:
            break
        page = client.get(
            f"{path}&cursor={page['next_cursor']}", headers=people["member0"]
        ).get_json()
    assert seen == sorted(
        [people.id(n) for n in ("alice", "member0", "member1", "member2", "member3")]
    )
    bad = client.get(f"{path}&cursor=nonsense", headers=people["member0"])
    assert_problem(bad, 422, "invalid_cursor")


def test_members_are_listed_by_name_with_their_address_to_admins_only(
    fake_app: Flask, client: FlaskClient, people: People
) -> None:
    org = create(client, people["alice"])
    client.patch("/user", json={"name": "Alice", "last_name": "Liddell"}, headers=people["alice"])
    join(fake_app, people, "acme", "bobby", "admin")
    join(fake_app, people, "acme", "cyril")
    path = f"/orgs/{org['id']}/members"

    def listed(name: str) -> dict[str, dict[str, Any]]:
        items = client.get(path, headers=people[name]).get_json()["items"]
        return {item["username"]: item for item in items}

    for admin in ("alice", "bobby"):
        seen = listed(admin)
        assert set(seen) == {"alice", "bobby", "cyril"}
        assert {name: item["email"] for name, item in seen.items()} == {
            name: f"{name}@example.com" for name in ("alice", "bobby", "cyril")
        }
        alice = seen["alice"]
        assert (alice["user_id"], alice["roles"]) == (people.id("alice"), ["owner"])
        assert (alice["name"], alice["last_name"]) == ("Alice", "Liddell")
        assert {"joined_at", "updated_at"} <= set(alice)
    as_member = listed("cyril")
    assert set(as_member) == {"alice", "bobby", "cyril"}
    assert {item["email"] for item in as_member.values()} == {None}
    assert as_member["alice"]["name"] == "Alice"


def test_owners_delete_it_gone_at_once_and_purged_by_a_job(
    fake_app: Flask,
    client: FlaskClient,
    people: People,
    job_queue: FakeJobQueue,
    adapters: Adapters,
) -> None:
    org = create(client, people["alice"])
    join(fake_app, people, "acme", "bobby", "admin")
    assert_problem(
        client.delete("/orgs/acme", headers=people["bobby"]), 403, "org_permission_denied"
    )
    assert client.delete("/orgs/acme", headers=people["alice"]).status_code == 204
    for who in ("alice", "bobby"):
        assert_problem(client.get(f"/orgs/{org['id']}", headers=people[who]), 404, "org_not_found")
        assert client.get("/orgs", headers=people[who]).get_json() == {"items": []}
    create(client, people["cyril"], "acme")  # the slug is free at once
    (job,) = [j for j in job_queue.jobs if j.kind == PURGE_ORG]
    assert job.subject == org["id"]
    orgs = _fake_orgs(adapters)
    assert org["id"] in orgs.members
    job_queue.jobs = [job, job]  # again: a job may run twice
    run_jobs(fake_app, job_queue)
    assert org["id"] not in orgs.members and org["id"] not in orgs.orgs


@pytest.mark.parametrize("queued", [True, False], ids=["by_its_job", "inline"])
def test_the_purge_ends_the_members_invitations_and_domains(
    fake_app: Flask,
    client: FlaskClient,
    people: People,
    job_queue: FakeJobQueue,
    adapters: Adapters,
    *,
    queued: bool,
) -> None:
    """Whether the queue takes the purge or refuses it (then the request purges inline)."""
    alice = people["alice"]
    org = create(client, alice)
    body = {"email": "ivy@example.com", "roles": ["member"]}
    assert client.post("/orgs/acme/invitations", json=body, headers=alice).status_code == 201
    record = client.post("/orgs/acme/domains", json={"domain": "example.com"}, headers=alice)
    txt = adapters.of(OrgsAdapters).txt
    assert isinstance(txt, FakeTxtRecords)
    txt.publish("example.com", record.get_json()["record"]["value"])
    assert client.post("/orgs/acme/domains/example.com/verify", headers=alice).status_code == 200
    job_queue.broken = not queued
    assert client.delete("/orgs/acme", headers=alice).status_code == 204
    run_jobs(fake_app, job_queue)
    assert org["id"] not in _fake_orgs(adapters).orgs
    assert adapters.of(OrgsAdapters).invitations.list_for(org["id"], 10) == []
    assert adapters.of(OrgsAdapters).domains.list_for(org["id"], 10) == []
    assert adapters.of(OrgsAdapters).domains.holder("example.com") is None


def test_the_orgs_events_are_its_audit_log_for_admins(
    fake_app: Flask, client: FlaskClient, people: People
) -> None:
    org = create(client, people["alice"])
    join(fake_app, people, "acme", "bobby")
    path = f"/orgs/{org['id']}/members/{people.id('bobby')}"
    client.patch(path, json={"roles": ["admin"]}, headers=people["alice"])
    client.patch("/orgs/acme", json={"name": "Acme 2"}, headers=people["bobby"])
    join(fake_app, people, "acme", "cyril")
    client.delete(f"/orgs/{org['id']}/members/{people.id('cyril')}", headers=people["cyril"])
    assert_problem(client.get("/orgs/acme/events", headers=people["cyril"]), 404, "org_not_found")
    join(fake_app, people, "acme", "delia")
    denied = client.get("/orgs/acme/events", headers=people["delia"])
    assert_problem(denied, 403, "org_permission_denied")
    events = client.get("/orgs/acme/events?limit=100", headers=people["bobby"]).get_json()["items"]
    assert [(e["type"], e["user_id"], e["actor_id"]) for e in reversed(events)] == [
        ("org.created", people.id("alice"), None),
        ("org.member_added", people.id("bobby"), "cli"),
        ("org.member_roles_changed", people.id("bobby"), people.id("alice")),
        ("org.updated", people.id("bobby"), None),
        ("org.member_added", people.id("cyril"), "cli"),
        ("org.member_removed", people.id("cyril"), None),
        ("org.member_added", people.id("delia"), "cli"),
    ]
    assert {e["org_id"] for e in events} == {org["id"]}
    assert events[-4]["reason"] == "name"
    first = client.get("/orgs/acme/events?limit=3", headers=people["bobby"]).get_json()
    rest = client.get(
        f"/orgs/acme/events?limit=100&cursor={first['next_cursor']}", headers=people["bobby"]
    ).get_json()
    assert first["items"] + rest["items"] == events


def _fake_orgs(adapters: Adapters) -> FakeOrgRepository:
    found = adapters.of(OrgsAdapters).orgs
    assert isinstance(found, FakeOrgRepository)
    return found


def test_a_personal_token_reads_orgs_but_changes_none(client: FlaskClient, people: People) -> None:
    org = create(client, people["alice"])
    body = {"name": "ci", "scopes": ["read", "write"], "expires_in": 3600}
    made = client.post("/auth/tokens", json=body, headers=people["alice"])
    token = bearer(made.get_json()["token"])
    assert client.get(f"/orgs/{org['id']}", headers=token).status_code == 200
    assert client.get("/orgs", headers=token).get_json()["items"][0]["id"] == org["id"]
    for method, path, json in (
        ("POST", "/orgs", {"slug": "other", "name": "Other"}),
        ("PATCH", "/orgs/acme", {"name": "x"}),
        ("DELETE", "/orgs/acme", None),
        ("DELETE", f"/orgs/acme/members/{people.id('alice')}", None),
    ):
        refused = client.open(path, method=method, json=json, headers=token)
        assert_problem(refused, 403, "session_required")
