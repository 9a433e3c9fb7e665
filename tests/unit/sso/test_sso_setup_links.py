"""Setup links on the fakes: an org admin makes one (for a connection or a new one), lists and
revokes them; whoever holds one configures and activates that connection through the same
checks as PATCH, and activating spends it (docs/reference/sso.md, "Setup links")."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.sso.services import SsoServices
from application.sso.setup import SetupRequest
from domain.errors import Conflict, InvalidInput
from domain.link_tokens import InvalidToken
from tests.support.api import assert_problem, bearer, login, register, services
from tests.support.app import World
from tests.support.saml import certificate, idp_metadata

pytestmark = pytest.mark.unit


def signed_in(client: FlaskClient, name: str) -> dict[str, str]:
    register(client, name)
    return bearer(login(client, name))


def an_org(client: FlaskClient) -> tuple[dict[str, str], str]:
    alice = signed_in(client, "alice")
    made = client.post("/orgs", json={"slug": "acme", "name": "Acme Corp"}, headers=alice)
    assert made.status_code == 201, made.get_json()
    return alice, made.get_json()["id"]


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def metadata() -> str:
    _, der = certificate()
    return idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", (der,))


def test_a_link_for_a_new_connection_configures_and_activates_it_once(
    fake_app: Flask, client: FlaskClient
) -> None:
    alice, _ = an_org(client)
    made = client.post("/orgs/acme/sso/setup-links", json={"kind": "saml"}, headers=alice)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    cid = body["connection_id"]
    assert body["url"].startswith("http://127.0.0.1:8000/sso/setup?token=")
    token = token_of(body["url"])
    assert token.startswith(cid + ".")
    connection = client.get(f"/orgs/acme/connections/{cid}", headers=alice).get_json()
    assert (connection["name"], connection["status"]) == ("SAML", "draft")
    # Listed without its token.
    listed = client.get("/orgs/acme/sso/setup-links", headers=alice)
    assert listed.status_code == 200
    (item,) = listed.get_json()["items"]
    assert (item["connection_id"], item["expires_at"]) == (cid, body["expires_at"])
    assert token not in listed.get_data(as_text=True)

    setup = services(fake_app).of(SsoServices).setup
    seen = setup.open(SetupRequest(token))
    assert (seen.org_name, seen.connection.id) == ("Acme Corp", cid)
    assert seen.addresses.acs_url.endswith(f"/sso/{cid}/saml/acs")
    with pytest.raises(Conflict) as early:
        setup.set_up(SetupRequest(token, {"status": "active"}))
    assert early.value.code == "connection_incomplete"
    configured = setup.set_up(
        SetupRequest(
            token,
            {
                "saml": {"metadata_xml": metadata()},
                "mapping": {"groups": "groups", "roles": {"IT": ["admin"]}},
            },
        )
    )
    assert configured.connection.saml.entity_id == "https://idp.example.com/m"
    with pytest.raises(InvalidInput):  # the same checks as PATCH
        setup.set_up(SetupRequest(token, {"mapping": {"roles": {"IT": ["owner"]}}}))
    for forbidden in ({"name": "mine"}, {"status": "inactive"}):
        with pytest.raises(InvalidInput):
            setup.set_up(SetupRequest(token, forbidden))
    active = setup.set_up(SetupRequest(token, {"status": "active"}))
    assert active.connection.active and active.connection.setup is None
    # Spent: it opens nothing now, and the list is empty.
    for attempt in (SetupRequest(token), SetupRequest(token, {"status": "active"})):
        with pytest.raises(InvalidToken):
            setup.open(attempt) if not attempt.changes else setup.set_up(attempt)
    assert client.get("/orgs/acme/sso/setup-links", headers=alice).get_json()["items"] == []
    events = client.get("/orgs/acme/events", headers=alice).get_json()["items"]
    kinds = [(e["type"], e["user_id"], e["reason"]) for e in events if "sso" in e["type"]]
    alice_id = client.get("/user", headers=alice).get_json()["id"]
    assert kinds == [
        ("org.sso_connection_activated", alice_id, cid),  # as the admin who made the link
        ("org.sso_connection_updated", alice_id, cid),  # its IdP and mapping set
        ("org.sso_connection_created", alice_id, cid),
    ]


def active_okta(client: FlaskClient, alice: dict[str, str], xml: str | None = None) -> str:
    """The id of a new active SAML connection "Okta" of acme, its IdP's metadata ``xml``."""
    made = client.post(
        "/orgs/acme/connections",
        json={
            "kind": "saml",
            "name": "Okta",
            "saml": {"metadata_xml": xml or metadata()},
            "status": "active",
        },
        headers=alice,
    )
    assert made.status_code == 201, made.get_json()
    return str(made.get_json()["id"])


def test_a_new_link_ends_the_one_before_and_links_end_when_revoked_or_old() -> None:
    world = World()
    client = world.client
    alice, _ = an_org(client)
    cid = client.post(
        "/orgs/acme/connections", json={"kind": "oidc", "name": "Entra"}, headers=alice
    ).get_json()["id"]
    first = client.post("/orgs/acme/sso/setup-links", json={"connection": cid}, headers=alice)
    second = client.post("/orgs/acme/sso/setup-links", json={"connection": cid}, headers=alice)
    assert first.status_code == second.status_code == 201
    setup = world.services.of(SsoServices).setup
    with pytest.raises(InvalidToken):
        setup.open(SetupRequest(token_of(first.get_json()["url"])))
    token = token_of(second.get_json()["url"])
    assert setup.open(SetupRequest(token)).addresses.redirect_uri.endswith(
        f"/sso/{cid}/oidc/callback"
    )
    # Forged or malformed tokens open nothing.
    for forged in (cid + ".x", "", "a" * 500, token + "x", "nodot", token.replace(cid, "z" * 20)):
        with pytest.raises(InvalidToken):
            setup.open(SetupRequest(forged))
    world.clock.advance(days=7)
    with pytest.raises(InvalidToken):
        setup.open(SetupRequest(token))
    third = client.post("/orgs/acme/sso/setup-links", json={"connection": cid}, headers=alice)
    assert client.delete(f"/orgs/acme/sso/setup-links/{cid}", headers=alice).status_code == 204
    with pytest.raises(InvalidToken):
        setup.open(SetupRequest(token_of(third.get_json()["url"])))
    assert_problem(
        client.delete(f"/orgs/acme/sso/setup-links/{cid}", headers=alice),
        404,
        "setup_link_not_found",
    )


def test_who_may_make_links_and_what_is_refused(fake_app: Flask, client: FlaskClient) -> None:
    alice, org_id = an_org(client)
    bob = signed_in(client, "bob")
    services(fake_app).of(OrgServices).members.add_member(AddMember(org_id, "bob", ("member",)))
    for response in (
        client.post("/orgs/acme/sso/setup-links", json={"kind": "saml"}, headers=bob),
        client.get("/orgs/acme/sso/setup-links", headers=bob),
    ):
        assert_problem(response, 403, "org_permission_denied")
    mallory = signed_in(client, "mallory")
    assert_problem(
        client.post("/orgs/acme/sso/setup-links", json={"kind": "saml"}, headers=mallory),
        404,
        "org_not_found",
    )
    choices: tuple[tuple[dict[str, str], str], ...] = (
        ({}, "connection_or_kind"),
        ({"kind": "saml", "connection": "a" * 20}, "connection_or_kind"),
    )
    for body, code in choices:
        refused = client.post("/orgs/acme/sso/setup-links", json=body, headers=alice)
        assert refused.status_code == 422, refused.get_json()
        assert refused.get_json()["errors"][0]["code"] == code
    wrong: tuple[dict[str, object], ...] = (
        {"kind": "ldap"},
        {"kind": "saml", "extra": 1},
        {"connection": None},
    )
    for bad in wrong:
        assert (
            client.post("/orgs/acme/sso/setup-links", json=bad, headers=alice).status_code == 422
        ), bad
    assert_problem(
        client.post("/orgs/acme/sso/setup-links", json={"connection": "a" * 20}, headers=alice),
        404,
        "connection_not_found",
    )
    active = active_okta(client, alice)
    # An active connection's link edits a draft of it (decision 0461).
    made = client.post("/orgs/acme/sso/setup-links", json={"connection": active}, headers=alice)
    assert made.status_code == 201, made.get_json()


def test_only_an_owner_makes_a_link_and_it_holds_while_they_are_one(
    fake_app: Flask, client: FlaskClient
) -> None:
    # A link lets whoever holds it, with no account, set the IdP and activate: an owner's
    # to hand out (docs/decisions/0448-single-sign-on-is-the-owners.md).
    alice, org_id = an_org(client)
    ada = signed_in(client, "ada")
    services(fake_app).of(OrgServices).members.add_member(AddMember(org_id, "ada", ("admin",)))
    refused = client.post("/orgs/acme/sso/setup-links", json={"kind": "saml"}, headers=ada)
    assert_problem(refused, 403, "org_permission_denied")
    assert client.get("/orgs/acme/sso/setup-links", headers=ada).status_code == 200
    # An owner's link, made while a second owner, stops opening once its maker is not one.
    ada_id = client.get("/user", headers=ada).get_json()["id"]
    owner = client.patch(f"/orgs/acme/members/{ada_id}", json={"roles": ["owner"]}, headers=alice)
    assert owner.status_code == 200, owner.get_json()
    made = client.post("/orgs/acme/sso/setup-links", json={"kind": "saml"}, headers=ada)
    assert made.status_code == 201, made.get_json()
    token = token_of(made.get_json()["url"])
    assert client.get(f"/sso/setup?token={token}").status_code == 200
    demoted = client.patch(f"/orgs/acme/members/{ada_id}", json={"roles": ["admin"]}, headers=alice)
    assert demoted.status_code == 200, demoted.get_json()
    assert client.get(f"/sso/setup?token={token}").status_code == 400
    with pytest.raises(InvalidToken):
        services(fake_app).of(SsoServices).setup.set_up(
            SetupRequest(token, {"saml": {"metadata_xml": metadata()}, "status": "active"})
        )


def test_a_link_for_an_active_connection_edits_a_draft_that_apply_swaps_in(
    fake_app: Flask, client: FlaskClient
) -> None:
    # Rotating the IdP's certificate without downtime (docs/reference/sso.md, "Rotating a
    # certificate or secret"): the live connection keeps its certificate until Apply.
    alice, _ = an_org(client)
    old_pem, old_der = certificate()
    _, new_der = certificate()
    live_xml = idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", (old_der,))
    new_xml = idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", (new_der,))
    cid = active_okta(client, alice, live_xml)
    made = client.post("/orgs/acme/sso/setup-links", json={"connection": cid}, headers=alice)
    assert made.status_code == 201, made.get_json()
    token = token_of(made.get_json()["url"])
    listed = client.get("/orgs/acme/sso/setup-links", headers=alice).get_json()["items"]
    assert [i["connection_id"] for i in listed] == [cid]
    setup = services(fake_app).of(SsoServices).setup
    with pytest.raises(Conflict) as nothing:
        setup.apply(SetupRequest(token))
    assert nothing.value.code == "draft_gone"
    saved = setup.set_up(SetupRequest(token, {"saml": {"metadata_xml": new_xml}}))
    draft = saved.connection.draft
    assert draft is not None
    assert [c.der for c in draft.saml.certificates] == [new_der]

    # The live values are unchanged, and the connection still signs people in.
    def live() -> dict[str, object]:
        got = client.get(f"/orgs/acme/connections/{cid}", headers=alice)
        assert got.status_code == 200, got.get_json()
        body: dict[str, object] = got.get_json()
        return body

    before = live()
    assert before["status"] == "active"
    assert [c["der"] for c in before["saml"]["certificates"]] == [old_der]  # type: ignore[index]
    # Activating is not what a link for an active connection does: Apply is.
    with pytest.raises(InvalidInput):
        setup.set_up(SetupRequest(token, {"status": "active"}))
    applied = setup.apply(SetupRequest(token))
    assert applied.connection.draft is None and applied.connection.setup is not None
    after = live()
    assert after["status"] == "active"
    assert [c["der"] for c in after["saml"]["certificates"]] == [new_der]  # type: ignore[index]
    # Applied: a second Apply finds no draft (the link stays open until it ends).
    with pytest.raises(Conflict) as again:
        setup.apply(SetupRequest(token))
    assert again.value.code == "draft_gone"
    events = client.get("/orgs/acme/events", headers=alice).get_json()["items"]
    kinds = [e["type"] for e in events if "draft" in e["type"]]
    assert kinds == ["org.sso_connection_draft_applied", "org.sso_connection_draft_saved"]
    assert old_pem  # the old certificate's PEM: only its DER is compared


def test_a_draft_can_be_discarded(fake_app: Flask, client: FlaskClient) -> None:
    alice, _ = an_org(client)
    cid = active_okta(client, alice)
    token = token_of(
        client.post(
            "/orgs/acme/sso/setup-links", json={"connection": cid}, headers=alice
        ).get_json()["url"]
    )
    setup = services(fake_app).of(SsoServices).setup
    setup.set_up(SetupRequest(token, {"mapping": {"groups": "groups", "roles": {"IT": ["admin"]}}}))
    discarded = setup.discard(SetupRequest(token))
    assert discarded.connection.draft is None
    assert discarded.connection.mapping.groups == ""  # the live mapping, never changed
    with pytest.raises(Conflict) as gone:
        setup.discard(SetupRequest(token))
    assert gone.value.code == "draft_gone"
    # The link still opens the connection after a discard: the IT admin may start again.
    assert setup.open(SetupRequest(token)).connection.draft is None
