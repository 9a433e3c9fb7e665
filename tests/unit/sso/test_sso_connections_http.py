"""An org's single sign-on connections over HTTP on the fakes: create, configure, activate,
list, delete, who may, and the org's events (docs/reference/sso.md, "Connections")."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap.sso import SsoAdapters
from domain.sso.connections import CONNECTIONS_MAX
from tests.support.api import assert_problem, bearer, login, register, services
from tests.support.app import World
from tests.support.saml import certificate, idp_metadata

pytestmark = pytest.mark.unit


def signed_in(client: FlaskClient, name: str) -> dict[str, str]:
    register(client, name)
    return bearer(login(client, name))


def new_org(client: FlaskClient, auth: dict[str, str], slug: str = "acme") -> str:
    response = client.post("/orgs", json={"slug": slug, "name": slug}, headers=auth)
    assert response.status_code == 201, response.get_json()
    org_id: str = response.get_json()["id"]
    return org_id


def org_events(client: FlaskClient, auth: dict[str, str]) -> list[tuple[str, str | None]]:
    items = client.get("/orgs/acme/events", headers=auth).get_json()["items"]
    return [(e["type"], e.get("reason")) for e in items if e["type"].startswith("org.sso")]


def test_an_admin_sets_up_a_saml_connection_and_activates_it(client: FlaskClient) -> None:
    alice = signed_in(client, "alice")
    new_org(client, alice)
    made = client.post(
        "/orgs/acme/connections", json={"kind": "saml", "name": "Okta"}, headers=alice
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    cid = body["id"]
    assert made.headers["Location"] == f"/orgs/acme/connections/{cid}"
    assert (body["kind"], body["status"], body["oidc"]) == ("saml", "draft", None)
    assert body["saml"]["acs_url"].endswith(f"/sso/{cid}/saml/acs")
    assert body["saml"]["sp_entity_id"].endswith(f"/sso/{cid}/saml/metadata")

    early = client.patch(f"/orgs/acme/connections/{cid}", json={"status": "active"}, headers=alice)
    assert_problem(early, 409, "connection_incomplete")

    _, der = certificate()
    xml = idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", (der,))
    configured = client.patch(
        f"/orgs/acme/connections/{cid}",
        json={
            "saml": {"metadata_xml": xml},
            "mapping": {"groups": "groups", "roles": {"IT": ["admin"]}},
            "status": "active",
        },
        headers=alice,
    )
    assert configured.status_code == 200, configured.get_json()
    saml = configured.get_json()["saml"]
    assert (saml["entity_id"], saml["sso_url"]) == (
        "https://idp.example.com/m",
        "https://idp.example.com/sso",
    )
    assert [c["der"] for c in saml["certificates"]] == [der]
    assert configured.get_json()["status"] == "active"
    assert configured.get_json()["mapping"]["roles"] == {"IT": ["admin"]}

    # Switched off, then removed.
    off = client.patch(f"/orgs/acme/connections/{cid}", json={"status": "inactive"}, headers=alice)
    assert off.get_json()["status"] == "inactive"
    listed = client.get("/orgs/acme/connections", headers=alice).get_json()["items"]
    assert [c["id"] for c in listed] == [cid]
    assert client.delete(f"/orgs/acme/connections/{cid}", headers=alice).status_code == 204
    assert_problem(
        client.get(f"/orgs/acme/connections/{cid}", headers=alice), 404, "connection_not_found"
    )
    events = org_events(client, alice)
    # Configured and activated by one PATCH: both, in one commit, in either order.
    assert (events[0], sorted(events[1:3]), events[3:]) == (
        ("org.sso_connection_deactivated", cid),
        [("org.sso_connection_activated", cid), ("org.sso_connection_updated", cid)],
        [("org.sso_connection_created", cid)],
    )


def test_an_openid_connection_keeps_its_secret_sealed(client: FlaskClient) -> None:
    alice = signed_in(client, "alice")
    new_org(client, alice)
    made = client.post(
        "/orgs/acme/connections",
        json={
            "kind": "oidc",
            "name": "Entra",
            "oidc": {
                "issuer": "https://login.example.com/t/",
                "client_id": "abc",
                "client_secret": "s3cret",
            },
            "status": "active",
        },
        headers=alice,
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["status"] == "active"
    assert body["oidc"] == {
        "issuer": "https://login.example.com/t",
        "client_id": "abc",
        "client_secret_set": True,
        "redirect_uri": body["oidc"]["redirect_uri"],
        "ssf_configuration_url": "",
    }
    assert body["oidc"]["redirect_uri"].endswith(f"/sso/{body['id']}/oidc/callback")
    assert "s3cret" not in made.get_data(as_text=True)
    # Created and activated in one commit: both, in either order.
    assert sorted(org_events(client, alice)) == [
        ("org.sso_connection_activated", body["id"]),
        ("org.sso_connection_created", body["id"]),
    ]
    # An active connection deleted is one switched off.
    assert client.delete(f"/orgs/acme/connections/{body['id']}", headers=alice).status_code == 204
    assert org_events(client, alice)[0] == ("org.sso_connection_deactivated", body["id"])


def test_an_active_connections_idp_changed_is_on_the_orgs_log(client: FlaskClient) -> None:
    """Who signs the org's people in changed: the org's log (and its streams and webhooks)
    says so; a PATCH that changes nothing of it, or only switches it off, does not."""
    alice = signed_in(client, "alice")
    new_org(client, alice)
    oidc = {"issuer": "https://login.example.com/t", "client_id": "abc", "client_secret": "s"}
    made = client.post(
        "/orgs/acme/connections",
        json={"kind": "oidc", "name": "Entra", "oidc": oidc, "status": "active"},
        headers=alice,
    )
    cid = made.get_json()["id"]
    path = f"/orgs/acme/connections/{cid}"
    same = client.patch(path, json={"name": "Entra", "oidc": {"client_id": "abc"}}, headers=alice)
    assert same.status_code == 200, same.get_json()
    assert ("org.sso_connection_updated", cid) not in org_events(client, alice)
    swapped = client.patch(
        path, json={"oidc": {"issuer": "https://evil.example.net/t"}}, headers=alice
    )
    assert swapped.status_code == 200, swapped.get_json()
    assert org_events(client, alice)[0] == ("org.sso_connection_updated", cid)
    renamed = client.patch(path, json={"name": "Entra ID"}, headers=alice)
    assert renamed.status_code == 200
    assert org_events(client, alice)[:2] == [("org.sso_connection_updated", cid)] * 2
    off = client.patch(path, json={"status": "inactive"}, headers=alice)
    assert off.status_code == 200
    assert org_events(client, alice)[:3] == [
        ("org.sso_connection_deactivated", cid),
        ("org.sso_connection_updated", cid),
        ("org.sso_connection_updated", cid),
    ]


def test_bad_configuration_is_refused_field_by_field(client: FlaskClient) -> None:
    alice = signed_in(client, "alice")
    new_org(client, alice)
    cid = client.post(
        "/orgs/acme/connections", json={"kind": "saml", "name": "Okta"}, headers=alice
    ).get_json()["id"]
    for change, field, code in (
        ({"oidc": {"issuer": "https://x"}}, "oidc", "wrong_kind"),
        ({"saml": {"sso_url": "http://idp.example.com/sso"}}, "saml.sso_url", "https_required"),
        ({"saml": {"metadata_xml": "<x/>"}}, "saml.metadata_xml", "invalid_metadata"),
        ({"saml": {"certificates": ["nope"]}}, "saml.certificates", "invalid_certificate"),
        ({"mapping": {"roles": {"Boss": ["owner"]}}}, "mapping.roles", "unknown_role"),
    ):
        refused = client.patch(f"/orgs/acme/connections/{cid}", json=change, headers=alice)
        assert refused.status_code == 422, refused.get_json()
        assert [(e["field"], e["code"]) for e in refused.get_json()["errors"]] == [(field, code)], (
            change
        )
    for body in (
        {"kind": "ldap", "name": "x"},
        {"kind": "saml"},
        {"kind": "saml", "name": "x", "secret": 1},
        {"kind": "saml", "name": "x", "saml": None},
    ):
        assert client.post("/orgs/acme/connections", json=body, headers=alice).status_code == 422, (
            body
        )
    assert (
        client.patch(
            f"/orgs/acme/connections/{cid}", json={"kind": "oidc"}, headers=alice
        ).status_code
        == 422
    )
    unchanged = client.get(f"/orgs/acme/connections/{cid}", headers=alice).get_json()
    assert (unchanged["status"], unchanged["saml"]["sso_url"]) == ("draft", "")


def test_only_admins_see_them_and_an_org_has_a_few(fake_app: Flask, client: FlaskClient) -> None:
    alice = signed_in(client, "alice")
    org = new_org(client, alice)
    bob = signed_in(client, "bob")
    services(fake_app).of(OrgServices).members.add_member(AddMember(org, "bob", ("member",)))
    cid = client.post(
        "/orgs/acme/connections", json={"kind": "saml", "name": "Okta"}, headers=alice
    ).get_json()["id"]
    for response in (
        client.get("/orgs/acme/connections", headers=bob),
        client.post("/orgs/acme/connections", json={"kind": "saml", "name": "x"}, headers=bob),
        client.patch(f"/orgs/acme/connections/{cid}", json={"name": "x"}, headers=bob),
        client.delete(f"/orgs/acme/connections/{cid}", headers=bob),
    ):
        assert_problem(response, 403, "org_permission_denied")
    mallory = signed_in(client, "mallory")
    new_org(client, mallory, "evil")
    assert_problem(client.get("/orgs/acme/connections", headers=mallory), 404, "org_not_found")
    # Another org's connection is not found through one's own org.
    assert_problem(
        client.get(f"/orgs/evil/connections/{cid}", headers=mallory), 404, "connection_not_found"
    )
    assert_problem(
        client.delete(f"/orgs/evil/connections/{cid}", headers=mallory), 404, "connection_not_found"
    )
    assert_problem(
        client.get("/orgs/evil/connections/NOT-AN-ID", headers=mallory), 404, "connection_not_found"
    )
    for n in range(CONNECTIONS_MAX - 1):
        made = client.post(
            "/orgs/acme/connections", json={"kind": "oidc", "name": f"c{n}"}, headers=alice
        )
        assert made.status_code == 201
    over = client.post(
        "/orgs/acme/connections", json={"kind": "oidc", "name": "one more"}, headers=alice
    )
    assert_problem(over, 409, "too_many_connections")


def test_a_saml_connections_metadata_is_public_from_its_draft_on(client: FlaskClient) -> None:
    alice = signed_in(client, "alice")
    new_org(client, alice)
    saml = client.post(
        "/orgs/acme/connections", json={"kind": "saml", "name": "Okta"}, headers=alice
    ).get_json()
    oidc = client.post(
        "/orgs/acme/connections", json={"kind": "oidc", "name": "Entra"}, headers=alice
    ).get_json()
    found = client.get(f"/sso/{saml['id']}/saml/metadata")
    assert found.status_code == 200
    assert found.mimetype == "application/samlmetadata+xml"
    xml = found.get_data(as_text=True)
    assert f'entityID="{saml["saml"]["sp_entity_id"]}"' in xml
    assert saml["saml"]["acs_url"] in xml
    for absent in (oidc["id"], "a" * 20, "nope"):
        assert client.get(f"/sso/{absent}/saml/metadata").status_code == 404


def test_the_orgs_purge_ends_its_connections() -> None:
    world = World()
    alice = signed_in(world.client, "alice")
    new_org(world.client, alice)
    new_org(world.client, alice, "globex")
    made = world.client.post(
        "/orgs/acme/connections", json={"kind": "saml", "name": "Okta"}, headers=alice
    ).get_json()
    kept = world.client.post(
        "/orgs/globex/connections", json={"kind": "saml", "name": "Okta"}, headers=alice
    ).get_json()
    assert world.client.delete("/orgs/acme", headers=alice).status_code == 204
    world.deliver()  # the purge job
    assert world.client.get(f"/sso/{made['id']}/saml/metadata").status_code == 404
    assert world.client.get(f"/sso/{kept['id']}/saml/metadata").status_code == 200
    assert world.adapters.of(SsoAdapters).connections.get(made["id"]) is None


def test_an_admin_may_not_say_who_the_orgs_identity_provider_is(
    fake_app: Flask, client: FlaskClient
) -> None:
    # An admin who is no owner pointing a connection at an IdP of their own, and activating
    # it, would sign in as anyone on the org's domains, its owners included: the IdP and the
    # activation are the owners' (docs/decisions/0448-single-sign-on-is-the-owners.md).
    alice = signed_in(client, "alice")
    org = new_org(client, alice)
    ada = signed_in(client, "ada")
    services(fake_app).of(OrgServices).members.add_member(AddMember(org, "ada", ("admin",)))
    _, der = certificate()
    xml = idp_metadata("https://idp.evil.example/m", "https://idp.evil.example/sso", (der,))
    made = client.post(
        "/orgs/acme/connections",
        json={"kind": "saml", "name": "Mine", "saml": {"metadata_xml": xml}, "status": "active"},
        headers=ada,
    )
    assert_problem(made, 403, "org_permission_denied")
    assert_problem(
        client.post("/orgs/acme/connections", json={"kind": "oidc", "name": "x"}, headers=ada),
        403,
        "org_permission_denied",
    )
    draft = client.post(
        "/orgs/acme/connections", json={"kind": "saml", "name": "Okta"}, headers=alice
    ).get_json()["id"]
    for change in (
        {"saml": {"metadata_xml": xml}},
        {"status": "active"},
        {"name": "Okta", "status": "active"},
    ):
        refused = client.patch(f"/orgs/acme/connections/{draft}", json=change, headers=ada)
        assert_problem(refused, 403, "org_permission_denied")
    # The owner sets it up; the admin may see it, rename it, map its groups (never to an
    # owner), switch it off and remove it.
    owned_xml = idp_metadata("https://idp.acme.example/m", "https://idp.acme.example/sso", (der,))
    configured = client.patch(
        f"/orgs/acme/connections/{draft}",
        json={"saml": {"metadata_xml": owned_xml}, "status": "active"},
        headers=alice,
    )
    assert configured.status_code == 200, configured.get_json()
    assert client.get(f"/orgs/acme/connections/{draft}", headers=ada).status_code == 200
    renamed = client.patch(
        f"/orgs/acme/connections/{draft}",
        json={"name": "Acme Okta", "mapping": {"groups": "groups", "roles": {"IT": ["admin"]}}},
        headers=ada,
    )
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json()["saml"]["entity_id"] == "https://idp.acme.example/m"
    again = client.patch(
        f"/orgs/acme/connections/{draft}", json={"saml": {"metadata_xml": xml}}, headers=ada
    )
    assert_problem(again, 403, "org_permission_denied")
    off = client.patch(f"/orgs/acme/connections/{draft}", json={"status": "inactive"}, headers=ada)
    assert off.get_json()["status"] == "inactive"
    on = client.patch(f"/orgs/acme/connections/{draft}", json={"status": "active"}, headers=ada)
    assert_problem(on, 403, "org_permission_denied")
    assert client.delete(f"/orgs/acme/connections/{draft}", headers=ada).status_code == 204
