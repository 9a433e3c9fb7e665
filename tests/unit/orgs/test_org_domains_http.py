"""An org's verified domains over HTTP on the fakes: add, list, verify, delete, and who may
(docs/reference/orgs.md, "Verified domains")."""

from __future__ import annotations

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
from tests.support.api import assert_problem, bearer, login, register, services
from tests.support.app import run_jobs

pytestmark = pytest.mark.unit


def signed_in(client: FlaskClient, name: str) -> dict[str, str]:
    register(client, name)
    return bearer(login(client, name))


def new_org(client: FlaskClient, auth: dict[str, str], slug: str) -> str:
    response = client.post("/orgs", json={"slug": slug, "name": slug}, headers=auth)
    assert response.status_code == 201, response.get_json()
    org_id: str = response.get_json()["id"]
    return org_id


def zone(adapters: Adapters) -> FakeTxtRecords:
    txt = adapters.of(OrgsAdapters).txt
    assert isinstance(txt, FakeTxtRecords)
    return txt


def test_an_admin_adds_publishes_and_verifies_a_domain(
    client: FlaskClient, adapters: Adapters
) -> None:
    alice = signed_in(client, "alice")
    org = new_org(client, alice, "acme")
    added = client.post("/orgs/acme/domains", json={"domain": "Example.COM."}, headers=alice)
    assert added.status_code == 201, added.get_json()
    body = added.get_json()
    assert (body["domain"], body["status"], body["record"]["type"]) == (
        "example.com",
        "pending",
        "TXT",
    )
    assert body["record"]["name"] == "_firegate.example.com"
    assert body["record"]["value"].startswith("firegate-verification=")
    assert body["alternative_name"] == "example.com"

    not_yet = client.post("/orgs/acme/domains/example.com/verify", headers=alice)
    assert_problem(not_yet, 409, "domain_not_verified")

    zone(adapters).records["_firegate.example.com"] = [body["record"]["value"]]
    verified = client.post(f"/orgs/{org}/domains/example.com/verify", headers=alice)
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["status"] == "verified"
    listed = client.get("/orgs/acme/domains", headers=alice).get_json()["items"]
    assert [(d["domain"], d["status"]) for d in listed] == [("example.com", "verified")]

    # Another org cannot add nor verify it any more.
    bob = signed_in(client, "bob")
    new_org(client, bob, "other")
    taken = client.post("/orgs/other/domains", json={"domain": "example.com"}, headers=bob)
    assert_problem(taken, 409, "domain_taken")

    assert client.delete("/orgs/acme/domains/example.com", headers=alice).status_code == 204
    assert client.get("/orgs/acme/domains", headers=alice).get_json()["items"] == []
    gone = client.delete("/orgs/acme/domains/example.com", headers=alice)
    assert_problem(gone, 404, "domain_not_found")


def test_a_member_may_not_a_non_member_finds_no_org_a_bad_name_is_refused(
    fake_app: Flask, client: FlaskClient
) -> None:
    alice = signed_in(client, "alice")
    org = new_org(client, alice, "acme")
    bob = signed_in(client, "bob")
    services(fake_app).of(OrgServices).members.add_member(AddMember(org, "bob", ("member",)))
    for response in (
        client.get("/orgs/acme/domains", headers=bob),
        client.post("/orgs/acme/domains", json={"domain": "example.com"}, headers=bob),
    ):
        assert_problem(response, 403, "org_permission_denied")
    mallory = signed_in(client, "mallory")
    for response in (
        client.get("/orgs/acme/domains", headers=mallory),
        client.post("/orgs/acme/domains", json={"domain": "example.com"}, headers=mallory),
        client.post("/orgs/acme/domains/example.com/verify", headers=mallory),
    ):
        assert_problem(response, 404, "org_not_found")
    for bad in ("127.0.0.1", "*.example.com", "localhost"):
        refused = client.post("/orgs/acme/domains", json={"domain": bad}, headers=alice)
        assert refused.status_code == 422, (bad, refused.get_json())
    assert client.post("/orgs/acme/domains", json={}, headers=alice).status_code == 422


def test_a_deleted_orgs_purge_releases_its_verified_domains(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    alice = signed_in(client, "alice")
    org = new_org(client, alice, "acme")
    record = client.post("/orgs/acme/domains", json={"domain": "example.com"}, headers=alice)
    zone(adapters).records["example.com"] = [record.get_json()["record"]["value"]]
    assert client.post("/orgs/acme/domains/example.com/verify", headers=alice).status_code == 200
    assert client.delete("/orgs/acme", headers=alice).status_code == 204
    (job,) = [j for j in job_queue.jobs if j.kind == PURGE_ORG]
    assert job.subject == org
    run_jobs(fake_app, job_queue)
    assert adapters.of(OrgsAdapters).domains.holder("example.com") is None
    bob = signed_in(client, "bob")
    new_org(client, bob, "other")
    again = client.post("/orgs/other/domains", json={"domain": "example.com"}, headers=bob)
    assert again.status_code == 201, again.get_json()
