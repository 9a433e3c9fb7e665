"""An org's log streams through the JSON API on the fakes (docs/reference/log-streams.md):
owners add, list, read, test and delete them; every refusal a problem of its own code."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap import Adapters
from tests.support.api import assert_problem, bearer, login, register, services
from tests.support.app import unit_adapters

pytestmark = pytest.mark.unit

HTTPS = {"kind": "https", "format": "firegate", "url": "https://siem.example.com/in"}


def owner(client: FlaskClient, name: str, slug: str) -> dict[str, str]:
    register(client, name)
    auth = bearer(login(client, name))
    made = client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=auth)
    assert made.status_code == 201, made.get_json()
    return auth


def member(app: Flask, client: FlaskClient, name: str, slug: str, role: str) -> dict[str, str]:
    register(client, name)
    services(app).of(OrgServices).members.add_member(AddMember(slug, name, (role,)))
    return bearer(login(client, name))


def test_owners_add_list_read_and_delete_streams(fake_app: Flask, client: FlaskClient) -> None:
    olga = owner(client, "olga", "acme")
    made = client.post("/orgs/acme/log-streams", json=HTTPS, headers=olga)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["secret"].startswith("whsec_")
    assert (body["kind"], body["format"], body["url"], body["state"]) == (
        "https",
        "firegate",
        HTTPS["url"],
        "active",
    )
    path = f"/orgs/acme/log-streams/{body['id']}"
    shown = client.get(path, headers=olga).get_json()
    assert "secret" not in shown and shown["id"] == body["id"]
    listed = client.get("/orgs/acme/log-streams", headers=olga).get_json()["items"]
    assert [s["id"] for s in listed] == [body["id"]]
    assert client.delete(path, headers=olga).status_code == 204
    assert_problem(client.get(path, headers=olga), 404, "stream_not_found")
    assert_problem(client.delete(path, headers=olga), 404, "stream_not_found")


def test_only_owners_reach_them(fake_app: Flask, client: FlaskClient) -> None:
    owner(client, "olga", "acme")
    adam = member(fake_app, client, "adam", "acme", "admin")
    assert_problem(client.get("/orgs/acme/log-streams", headers=adam), 403, "org_permission_denied")
    made = client.post("/orgs/acme/log-streams", json=HTTPS, headers=adam)
    assert_problem(made, 403, "org_permission_denied")
    register(client, "stranger")
    outsider = bearer(login(client, "stranger"))
    assert_problem(client.get("/orgs/acme/log-streams", headers=outsider), 404, "org_not_found")


def test_another_orgs_stream_is_not_found(client: FlaskClient) -> None:
    olga = owner(client, "olga", "acme")
    made = client.post("/orgs/acme/log-streams", json=HTTPS, headers=olga).get_json()
    bob = owner(client, "bob", "globex")
    other = f"/orgs/globex/log-streams/{made['id']}"
    assert_problem(client.get(other, headers=bob), 404, "stream_not_found")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({**HTTPS, "topic": "projects/p/topics/t"}, "topic", "field_not_allowed"),
        ({**HTTPS, "token": "x"}, "token", "field_not_allowed"),
        ({**HTTPS, "owner": "x"}, "owner", "unknown_field"),
        ({**HTTPS, "kind": "ftp"}, "kind", "invalid_stream_kind"),
        ({**HTTPS, "format": "cef"}, "format", "invalid_stream_format"),
        ({**HTTPS, "url": "ftp://siem.example.com/"}, "url", "invalid_stream_url"),
        ({**HTTPS, "url": "https://user:pw@siem.example.com/"}, "url", "invalid_stream_url"),
        (
            {"kind": "splunk_hec", "format": "ocsf", "url": HTTPS["url"]},
            "token",
            "invalid_stream_token",
        ),
        (
            {"kind": "syslog", "format": "ocsf", "host": "h.example", "port": 0},
            "port",
            "invalid_stream_port",
        ),
        ({"kind": "pubsub", "format": "ocsf", "topic": "t"}, "topic", "invalid_stream_topic"),
        ({"kind": "gcs", "format": "ocsf", "bucket": "B!"}, "bucket", "invalid_stream_bucket"),
    ],
)
def test_a_bad_field_is_named(
    client: FlaskClient, body: dict[str, Any], field: str, code: str
) -> None:
    olga = owner(client, "olga", "acme")
    problem = assert_problem(
        client.post("/orgs/acme/log-streams", json=body, headers=olga), 422, code
    )
    assert (field, code) in {(e["field"], e["code"]) for e in problem["errors"]}


def test_an_org_has_three_at_most(client: FlaskClient) -> None:
    olga = owner(client, "olga", "acme")
    for _ in range(3):
        assert client.post("/orgs/acme/log-streams", json=HTTPS, headers=olga).status_code == 201
    fourth = client.post("/orgs/acme/log-streams", json=HTTPS, headers=olga)
    assert_problem(fourth, 409, "too_many_streams")


def test_a_splunk_token_is_sealed_and_never_shown(adapters: Adapters, client: FlaskClient) -> None:
    olga = owner(client, "olga", "acme")
    body = {
        "kind": "splunk_hec",
        "format": "ocsf",
        "url": "https://hec.example.com",
        "token": "T0k",
    }
    made = client.post("/orgs/acme/log-streams", json=body, headers=olga)
    assert made.status_code == 201, made.get_json()
    assert "T0k" not in made.get_data(as_text=True)
    stored = unit_adapters(adapters, "log_streams").store
    assert "T0k" not in repr(stored.get(made.get_json()["id"]))


def test_the_setup_links_resource_is_no_stream_of_that_name(client: FlaskClient) -> None:
    """``setup-links`` is a resource of its own (POST only), never read as a stream's id: a
    method it lacks lists only its own, as the OpenAPI document says."""
    listed = client.open("/orgs/acme/log-streams/setup-links", method="OPTIONS")
    assert set(listed.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    refused = client.delete("/orgs/acme/log-streams/setup-links")
    assert refused.status_code == 405
    assert set(refused.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
