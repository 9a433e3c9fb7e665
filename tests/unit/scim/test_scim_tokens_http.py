"""An org's SCIM tokens over HTTP on the fakes: made once, listed without the secret,
revoked, who may, what a token opens, and the org's events (docs/reference/scim.md,
"Tokens")."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.scim.services import ScimServices
from domain.errors import Unauthenticated
from tests.support.api import assert_problem, bearer, login, register, services

pytestmark = pytest.mark.unit
TOKENS = "/orgs/acme/scim/tokens"


def person(client: FlaskClient, name: str) -> dict[str, str]:
    register(client, name)
    return bearer(login(client, name))


def acme(client: FlaskClient, owner: dict[str, str], slug: str = "acme") -> str:
    made = client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=owner)
    assert made.status_code == 201, made.get_json()
    org_id: str = made.get_json()["id"]
    return org_id


def test_an_admin_makes_a_token_shown_once_lists_and_revokes_it(
    fake_app: Flask, client: FlaskClient
) -> None:
    alice = person(client, "alice")
    org_id = acme(client, alice)
    made = client.post(TOKENS, json={"name": " Okta "}, headers=alice)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert made.headers["Location"] == f"{TOKENS}/{body['id']}"
    assert made.headers["Cache-Control"] == "no-store"
    assert body["name"] == "Okta"
    assert body["token"].startswith(f"fgs_{org_id}.{body['id']}.")
    # The token opens its org.
    opened = services(fake_app).of(ScimServices).tokens.authenticate(body["token"])
    assert (opened.org.id, opened.made_by) == (
        org_id,
        client.get("/user", headers=alice).get_json()["id"],
    )

    second = client.post(TOKENS, json={"name": "Entra"}, headers=alice).get_json()
    listed = client.get(TOKENS, headers=alice).get_json()
    assert [t["id"] for t in listed["items"]] == [second["id"], body["id"]]
    assert all("token" not in t and "secret_hash" not in t for t in listed["items"])
    assert body["token"] not in client.get(TOKENS, headers=alice).get_data(as_text=True)
    page = client.get(f"{TOKENS}?limit=1", headers=alice).get_json()
    assert [t["id"] for t in page["items"]] == [second["id"]]
    rest = client.get(f"{TOKENS}?limit=1&cursor={page['next_cursor']}", headers=alice).get_json()
    assert ([t["id"] for t in rest["items"]], rest["next_cursor"]) == ([body["id"]], None)

    assert client.delete(f"{TOKENS}/{body['id']}", headers=alice).status_code == 204
    with pytest.raises(Unauthenticated):
        services(fake_app).of(ScimServices).tokens.authenticate(body["token"])
    assert_problem(
        client.delete(f"{TOKENS}/{body['id']}", headers=alice), 404, "scim_token_not_found"
    )
    events = client.get("/orgs/acme/events", headers=alice).get_json()["items"]
    assert [(e["type"], e["reason"]) for e in events if "scim" in e["type"]] == [
        ("org.scim_token_revoked", body["id"]),
        ("org.scim_token_created", second["id"]),
        ("org.scim_token_created", body["id"]),
    ]


def test_only_an_admins_session_manages_them(fake_app: Flask, client: FlaskClient) -> None:
    alice = person(client, "alice")
    org_id = acme(client, alice)
    token_id = client.post(TOKENS, json={"name": "Okta"}, headers=alice).get_json()["id"]
    bob = person(client, "bob")
    services(fake_app).of(OrgServices).members.add_member(AddMember(org_id, "bob", ("member",)))
    for response in (
        client.post(TOKENS, json={"name": "x"}, headers=bob),
        client.get(TOKENS, headers=bob),
        client.delete(f"{TOKENS}/{token_id}", headers=bob),
    ):
        assert_problem(response, 403, "org_permission_denied")
    mallory = person(client, "mallory")
    acme(client, mallory, "evil")
    assert_problem(client.get(TOKENS, headers=mallory), 404, "org_not_found")
    # Another org's token is not found through one's own org.
    for token in (token_id, "NOT AN ID"):
        assert_problem(
            client.delete(f"/orgs/evil/scim/tokens/{token}", headers=mallory),
            404,
            "scim_token_not_found",
        )
    pat = client.post(
        "/auth/tokens", json={"name": "s", "scopes": ["write"], "expires_in": 60}, headers=alice
    ).get_json()["token"]
    assert_problem(
        client.post(TOKENS, json={"name": "x"}, headers=bearer(pat)), 403, "session_required"
    )
    assert_problem(client.get(TOKENS, headers=bearer(pat)), 403, "session_required")
    assert client.get(TOKENS).status_code == 401
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "a\nb"}, {"name": "x", "id": "y"}):
        assert client.post(TOKENS, json=body, headers=alice).status_code == 422, body


def test_a_token_opens_its_own_live_org_only(fake_app: Flask, client: FlaskClient) -> None:
    alice = person(client, "alice")
    org_id = acme(client, alice)
    other = acme(client, alice, "other")
    text = client.post(TOKENS, json={"name": "Okta"}, headers=alice).get_json()["token"]
    authenticate = services(fake_app).of(ScimServices).tokens.authenticate
    _, token_id, secret = text.removeprefix("fgs_").split(".")
    for forged in (
        f"fgs_{other}.{token_id}.{secret}",  # names another org
        f"fgs_{org_id}.{token_id}.{'A' * 43}",  # a wrong secret
        text[:-1],  # not the shape of one
        text.replace("fgs_", "fgp_"),
        "",
    ):
        with pytest.raises(Unauthenticated):
            authenticate(forged)
    assert authenticate(text).org.id == org_id
    assert client.delete("/orgs/acme", headers=alice).status_code in (202, 204)
    with pytest.raises(Unauthenticated):
        authenticate(text)
