"""Joining an org by its verified domain over HTTP on the fakes: GET /orgs/suggested, POST
/orgs/{org}/join, and auto_join wherever an address becomes proven (the verification link, a
password reset, a Firebase sign-in, an org invitation) (docs/reference/orgs.md, "Joining by
domain")."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from application.ports import Audit
from bootstrap.orgs import OrgsAdapters
from tests.fakes.org_domains import FakeOrgDomains, FakeTxtRecords
from tests.support.api import assert_problem, bearer, login, register
from tests.support.app import World

pytestmark = pytest.mark.unit
Auth = dict[str, str]


def org_on(world: World, policy: str, domain: str = "example.com") -> tuple[str, Auth]:
    """An org "acme" of olga's that verified ``domain``, with ``policy``: its id, her header."""
    register(world.client, "olga", email=f"olga@{domain}")
    olga = bearer(login(world.client, "olga"))
    made = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga)
    org_id: str = made.get_json()["id"]
    added = world.client.post("/orgs/acme/domains", json={"domain": domain}, headers=olga)
    txt = world.adapters.of(OrgsAdapters).txt
    assert isinstance(txt, FakeTxtRecords)
    txt.publish(added.get_json()["record"]["name"], added.get_json()["record"]["value"])
    assert world.client.post(f"/orgs/acme/domains/{domain}/verify", headers=olga).status_code < 300
    patched = world.client.patch("/orgs/acme", json={"domain_policy": policy}, headers=olga)
    assert patched.status_code == 200, patched.get_json()
    return org_id, olga


def proven(world: World, name: str, domain: str = "example.com") -> Auth:
    """A new account whose address the verification link proved, signed in."""
    register(world.client, name, email=f"{name}@{domain}")
    world.deliver()
    token = world.token(f"{name}@{domain}", "/verify-email")
    assert world.client.post("/auth/email/verify", json={"token": token}).status_code == 200
    return bearer(login(world.client, name))


def accepted_by_ivy(world: World, olga: Auth, slug: str) -> Auth:
    """Ivy, with an account whose address is unproven, accepts olga's invitation to ``slug``
    as an admin; her header."""
    body = {"email": "ivy@example.com", "roles": ["admin"]}
    invited = world.client.post(f"/orgs/{slug}/invitations", json=body, headers=olga)
    assert invited.status_code == 201, invited.get_json()
    world.deliver()
    register(world.client, "ivy")
    ivy = bearer(login(world.client, "ivy"))
    token = world.token("ivy@example.com", "/orgs/join")
    accepted = world.client.post("/orgs/invitations/accept", json={"token": token}, headers=ivy)
    assert accepted.status_code == 200, accepted.get_json()
    return ivy


def my_orgs(world: World, auth: Auth) -> list[tuple[str, list[str]]]:
    items: list[dict[str, Any]] = world.client.get("/orgs", headers=auth).get_json()["items"]
    return [(org["slug"], org["roles"]) for org in items]


def added(world: World) -> list[tuple[str | None, str | None]]:
    return [(e.org_id, e.reason) for e in world.audit.events if e.event is Audit.ORG_MEMBER_ADDED]


def domains(world: World) -> FakeOrgDomains:
    found = world.adapters.of(OrgsAdapters).domains
    assert isinstance(found, FakeOrgDomains)
    return found


def test_suggested_and_joined() -> None:
    world = World()
    org_id, _ = org_on(world, "suggest")
    ivy = proven(world, "ivy")
    assert my_orgs(world, ivy) == []  # suggest: no join by itself
    suggested = world.client.get("/orgs/suggested", headers=ivy)
    assert suggested.status_code == 200
    assert suggested.get_json() == {"items": [{"id": org_id, "slug": "acme", "name": "Acme"}]}

    joined = world.client.post("/orgs/acme/join", headers=ivy)
    assert joined.status_code == 201, joined.get_json()
    body = joined.get_json()
    assert (body["id"], body["slug"], body["roles"]) == (org_id, "acme", ["member"])
    assert joined.headers["Location"] == f"/orgs/{org_id}"
    assert my_orgs(world, ivy) == [("acme", ["member"])]
    assert added(world) == [(org_id, "domain")]
    assert world.client.get("/orgs/suggested", headers=ivy).get_json() == {"items": []}
    assert_problem(world.client.post(f"/orgs/{org_id}/join", headers=ivy), 409, "already_member")


def test_an_unproven_address_is_offered_nothing() -> None:
    world = World()
    org_id, _ = org_on(world, "suggest")
    register(world.client, "uma")
    uma = bearer(login(world.client, "uma"))
    assert world.client.get("/orgs/suggested", headers=uma).get_json() == {"items": []}
    for org in ("acme", org_id, "nope"):
        assert_problem(world.client.post(f"/orgs/{org}/join", headers=uma), 404, "org_not_found")
    assert_problem(world.client.post("/orgs/acme/join"), 401, "missing_token")
    assert_problem(world.client.get("/orgs/suggested"), 401, "missing_token")


def test_a_slug_named_like_the_suggestions_is_reserved() -> None:
    world = World()
    register(world.client, "olga")
    olga = bearer(login(world.client, "olga"))
    made = world.client.post("/orgs", json={"slug": "suggested", "name": "x"}, headers=olga)
    assert_problem(made, 422, "reserved_slug")


def test_the_verification_link_auto_joins() -> None:
    world = World()
    org_id, _ = org_on(world, "auto_join")
    ivy = proven(world, "ivy")
    assert my_orgs(world, ivy) == [("acme", ["member"])]
    assert added(world) == [(org_id, "auto_join")]


def test_a_password_reset_of_an_unproven_account_auto_joins() -> None:
    world = World()
    org_id, _ = org_on(world, "auto_join")
    register(world.client, "ivy")
    world.client.post("/auth/password/forgot", json={"email": "ivy@example.com"})
    world.deliver()
    assert world.reset(world.token("ivy@example.com", "/reset-password")) == 204
    assert added(world) == [(org_id, "auto_join")]


def test_a_firebase_sign_in_with_a_verified_address_auto_joins() -> None:
    world = World()
    org_id, _ = org_on(world, "auto_join")
    token = world.verifier.issue("uid-1", email="fb@example.com", display_name="fb")
    pair = world.client.post("/auth/firebase", json={"id_token": token}).get_json()
    assert my_orgs(world, bearer(pair["access_token"])) == [("acme", ["member"])]
    # Signing in again reads no domain: the address was proven already.
    reads = domains(world).holder_reads
    token = world.verifier.issue("uid-1", email="fb@example.com", display_name="fb")
    assert world.client.post("/auth/firebase", json={"id_token": token}).status_code == 200
    assert domains(world).holder_reads == reads
    assert added(world) == [(org_id, "auto_join")]


def test_a_firebase_sign_in_that_claims_an_unproven_account_auto_joins() -> None:
    world = World()
    org_id, _ = org_on(world, "auto_join")
    register(world.client, "fabian", email="fb@example.com")  # never proven
    assert added(world) == []
    verified = world.verifier.issue("uid-2", email="fb@example.com")
    assert world.client.post("/auth/firebase", json={"id_token": verified}).status_code == 200
    assert added(world) == [(org_id, "auto_join")]


def test_an_invitation_that_proves_the_address_auto_joins_too() -> None:
    world = World()
    acme_id, olga = org_on(world, "auto_join")
    made = world.client.post("/orgs", json={"slug": "beta", "name": "Beta"}, headers=olga)
    beta_id = made.get_json()["id"]
    ivy = accepted_by_ivy(world, olga, "beta")
    assert my_orgs(world, ivy) == [("acme", ["member"]), ("beta", ["admin"])]
    assert sorted(added(world)) == sorted([(beta_id, "invitation"), (acme_id, "auto_join")])
    assert beta_id != acme_id


def test_an_invitation_to_the_auto_join_org_keeps_its_roles() -> None:
    world = World()
    _, olga = org_on(world, "auto_join")
    ivy = accepted_by_ivy(world, olga, "acme")
    assert my_orgs(world, ivy) == [("acme", ["admin"])]
    assert [reason for _, reason in added(world)] == ["invitation"]  # no auto_join besides


def test_an_address_on_no_orgs_domain_costs_one_read_once() -> None:
    world = World()
    org_on(world, "auto_join")
    reads = domains(world).holder_reads
    oli = proven(world, "oli", "other.example")  # the one read: its domain's claim
    assert domains(world).holder_reads == reads + 1
    login(world.client, "oli")  # a sign-in: none
    world.client.get("/orgs", headers=oli)
    assert domains(world).holder_reads == reads + 1
    assert my_orgs(world, oli) == []


def test_options_on_the_suggestions_lists_only_what_they_answer(client: FlaskClient) -> None:
    # /orgs/{org} is GET, PATCH and DELETE; /orgs/suggested, which the same path shape would
    # match, is GET only (found by the OpenAPI fuzzer: its Allow listed DELETE and PATCH).
    allowed = client.open("/orgs/suggested", method="OPTIONS").headers["Allow"]
    assert set(allowed.split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.patch("/orgs/suggested", json={"name": "x"}).status_code == 405
