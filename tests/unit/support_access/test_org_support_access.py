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
from application.orgs.services import OrgServices
from application.ports import Audit
from application.provider.claims import MemberOrg
from application.provider.services import ProviderServices
from application.signin.authentication import Authenticate
from application.signin.services import SigninServices
from bootstrap import Adapters
from bootstrap.orgs import OrgsAdapters
from domain.orgs.orgs import active_org
from infrastructure.firestore.orgs.membership_reads import active_org_from_docs
from interfaces.web.browser import EXTENSION
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import InMemoryStore
from tests.support.api import admin_token, assert_problem, bearer, login, register, services

pytestmark = pytest.mark.unit
Auth = dict[str, str]
BODY = {"reason": "Ticket 4711", "minutes": 10}


def signed_in(client: FlaskClient, name: str) -> tuple[str, Auth]:
    user_id = register(client, name)["id"]
    return user_id, bearer(login(client, name))


def claims_of(token: str) -> Any:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def act_of(token: str) -> Any:
    return claims_of(token).get("act")


@pytest.fixture
def acme(fake_app: Flask, client: FlaskClient) -> dict[str, tuple[str, Auth]]:
    """acme: olga owns it, adam and ada are admins, bob and bea members; zed is outside.
    Its admin role carries org:impersonate."""
    names = ("olga", "adam", "ada", "bob", "bea", "zed")
    people = {name: signed_in(client, name) for name in names}
    made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=people["olga"][1])
    assert made.status_code == 201
    for name, role in (("adam", "admin"), ("ada", "admin"), ("bob", "member"), ("bea", "member")):
        services(fake_app).of(OrgServices).members.add_member(AddMember("acme", name, (role,)))
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
    # The org's log has it once: the member's, by the admin; the admin's own names no org.
    org_id = client.get("/orgs/acme", headers=adam).get_json()["id"]
    assert {(e.user_id, e.org_id) for e in events} == {(bob_id, org_id), (adam_id, None)}


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


# -- bound to its org (docs/support-access.md, "In an organization")


def in_store(adapters: Adapters, store: InMemoryStore, slug: str, user_id: str) -> str:
    """The fakes' active org of ``user_id`` in ``slug``, as the org's repository holds it
    now (what the sessions' one read finds on Firestore); its id."""
    orgs = adapters.of(OrgsAdapters).orgs
    org = orgs.find(slug)
    membership = orgs.membership(org.id, user_id) if org is not None else None
    assert org is not None and membership is not None
    store.active_orgs[(org.id, user_id)] = active_org(org, membership)
    return org.id


@pytest.fixture
def bobs_own(
    client: FlaskClient,
    acme: dict[str, tuple[str, Auth]],
    adapters: Adapters,
    store: InMemoryStore,
) -> tuple[str, Auth]:
    """bobco, bob's own org, which forbids support access; and acme's admin adam acting as
    bob (a session of support access acme granted)."""
    bob_id, bob = acme["bob"]
    made = client.post("/orgs", json={"slug": "bobco", "name": "Bobco"}, headers=bob)
    assert made.status_code == 201
    forbid = client.patch("/orgs/bobco", json={"impersonation": "forbid"}, headers=bob)
    assert forbid.status_code == 200
    for slug in ("acme", "bobco"):
        in_store(adapters, store, slug, bob_id)
    started = client.post(
        f"/orgs/acme/members/{bob_id}/impersonate", json=BODY, headers=acme["adam"][1]
    )
    assert started.status_code == 201
    return bob_id, bearer(started.get_json()["access_token"])


def test_a_session_an_org_granted_acts_in_that_org_alone(
    client: FlaskClient, bobs_own: tuple[str, Auth]
) -> None:
    _, acting = bobs_own
    # Not in another of the person's orgs: no switch, no route of it, not even a revocation.
    refused = client.post("/auth/org", json={"org": "bobco"}, headers=acting)
    assert_problem(refused, 403, "impersonation_bound_to_org")
    for method, path in (
        ("GET", "/orgs/bobco"),
        ("GET", "/orgs/bobco/members"),
        ("GET", "/orgs/bobco/events"),
        ("DELETE", "/orgs/bobco/scim/tokens/tok1"),
        ("DELETE", "/orgs/bobco/invitations/inv1"),
    ):
        answer = client.open(path, method=method, headers=acting)
        assert_problem(answer, 403, "impersonation_bound_to_org")
    # What outlasts it is refused before that, wherever.
    made = client.post("/orgs/bobco/scim/tokens", json={"name": "x"}, headers=acting)
    assert_problem(made, 403, "impersonation_forbidden")
    # Its own org: listed alone, switched to, read.
    assert [o["slug"] for o in client.get("/orgs", headers=acting).get_json()["items"]] == ["acme"]
    switched = client.post("/auth/org", json={"org": "acme"}, headers=acting)
    assert switched.status_code == 200, switched.get_json()
    assert client.get("/orgs/acme/members", headers=acting).status_code == 200


def test_each_org_s_own_policy_is_read_for_an_admin_s_session(
    fake_app: Flask,
    client: FlaskClient,
    bobs_own: tuple[str, Auth],
    adapters: Adapters,
    store: InMemoryStore,
) -> None:
    """An operator's admin may act as bob, but not in bobco, which forbids it; acme allows
    it until its owner says no, from the next request on."""
    bob_id, _ = bobs_own
    root = admin_token(fake_app, client)
    started = client.post(f"/admin/users/{bob_id}/impersonate", json=BODY, headers=root)
    acting = bearer(started.get_json()["access_token"])
    refused = client.post("/auth/org", json={"org": "bobco"}, headers=acting)
    assert_problem(refused, 403, "org_forbids_impersonation")
    assert_problem(client.get("/orgs/bobco", headers=acting), 403, "org_forbids_impersonation")
    assert [o["slug"] for o in client.get("/orgs", headers=acting).get_json()["items"]] == ["acme"]
    switched = client.post("/auth/org", json={"org": "acme"}, headers=acting)
    assert switched.status_code == 200, switched.get_json()
    access = bearer(switched.get_json()["access_token"])
    assert client.get("/orgs/acme", headers=access).status_code == 200
    olga = bearer(login(client, "olga"))
    forbid = client.patch("/orgs/acme", json={"impersonation": "forbid"}, headers=olga)
    assert forbid.status_code == 200
    in_store(adapters, store, "acme", bob_id)
    assert_problem(client.get("/orgs/acme", headers=access), 403, "org_forbids_impersonation")
    # The token's org is no more the session's: what acts in the active org has none.
    firebase = client.post("/auth/firebase/custom-token", headers=access)
    assert "org_id" not in claims_of(firebase.get_json()["custom_token"])["claims"]


def test_the_provider_picks_no_other_org_for_it(
    fake_app: Flask, client: FlaskClient, bobs_own: tuple[str, Auth]
) -> None:
    """Scope ``organization`` at firegate's OpenID provider: the org a session of support
    access names is one it may act in, or the app hears access_denied."""
    bob_id, acting = bobs_own
    actor = (
        services(fake_app)
        .of(SigninServices)
        .authentication.authenticate(Authenticate(acting["Authorization"].removeprefix("Bearer ")))
    )
    accounts = services(fake_app).of(ProviderServices).accounts
    assert accounts.pick_org(MemberOrg(bob_id, "bobco", actor.session)).refusal == (
        "impersonation_bound_to_org"
    )
    assert accounts.pick_org(MemberOrg(bob_id, "acme", actor.session)).refusal is None
    assert accounts.pick_org(MemberOrg(bob_id, "bobco")).refusal is None  # bob's own


# -- its audit (docs/support-access.md, "What the person sees")

LINE = re.compile(r"<li>\s*<p class=\"item-title\">(.*?)</li>", re.S)


def log_page(fake_app: Flask, name: str) -> list[str]:
    """The lines of acme's audit log as the page shows them to ``name``, as text."""
    page = fake_app.test_client()
    page.set_cookie(fake_app.extensions[EXTENSION].cookie("session"), login(page, name))
    html = page.get("/account/orgs/acme/events").get_data(as_text=True)
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", line)).strip() for line in LINE.findall(html)
    ]


def test_the_org_log_shows_one_start_with_its_minutes_and_the_end(
    fake_app: Flask, client: FlaskClient, acme: dict[str, tuple[str, Auth]]
) -> None:
    (adam_id, adam), (bob_id, _), (_, olga) = acme["adam"], acme["bob"], acme["olga"]
    started = client.post(f"/orgs/acme/members/{bob_id}/impersonate", json=BODY, headers=adam)
    acting = bearer(started.get_json()["access_token"])
    assert client.post("/auth/impersonation/end", headers=acting).status_code == 204
    listed = client.get("/orgs/acme/events", headers=olga).get_json()["items"]
    support = [e for e in listed if e["type"].startswith("impersonation.")]
    assert [(e["type"], e["user_id"], e["actor_id"]) for e in support] == [
        ("impersonation.ended", bob_id, adam_id),
        ("impersonation.started", bob_id, adam_id),
    ]
    start = support[1]
    assert (start["reason"], start["minutes"], start["subject_id"]) == ("Ticket 4711", 10, None)
    # The page: the same names as the API's, about the member, by the admin, why and how long.
    lines = [line for line in log_page(fake_app, "olga") if "impersonation." in line]
    ended, begun = lines
    assert ended.startswith("Support access ended impersonation.ended")
    assert begun.startswith("Support access started impersonation.started")
    for line in lines:
        assert "Account: bob · bob@example.com · by adam · adam@example.com" in line, line
    assert "Ticket 4711 · for 10 min" in begun
    # Each account's own list: the member's names the admin; the admin's names the member.
    bobs = client.get("/auth/events", headers=bearer(login(client, "bob"))).get_json()["items"]
    adams = client.get("/auth/events", headers=adam).get_json()["items"]
    assert [(e["type"], e["actor_id"]) for e in bobs if "imperson" in e["type"]] == [
        ("impersonation.ended", adam_id),
        ("impersonation.started", adam_id),
    ]
    assert [(e["type"], e["subject_id"]) for e in adams if "imperson" in e["type"]] == [
        ("impersonation.ended", bob_id),
        ("impersonation.started", bob_id),
    ]


def test_what_the_session_does_names_the_admin_as_its_actor(
    fake_app: Flask, client: FlaskClient, acme: dict[str, tuple[str, Auth]]
) -> None:
    """adam, acting as ada (another admin of acme), revokes the SCIM token ada made and a
    personal token of hers: the org's log and her events name adam as the actor, ada as
    whom they are about."""
    (adam_id, adam), (ada_id, _) = acme["adam"], acme["ada"]
    ada = bearer(login(client, "ada"))
    scim = client.post("/orgs/acme/scim/tokens", json={"name": "idp"}, headers=ada).get_json()
    pat = client.post(
        "/auth/tokens", json={"name": "ci", "scopes": ["read"], "expires_in": 3600}, headers=ada
    ).get_json()
    started = client.post(f"/orgs/acme/members/{ada_id}/impersonate", json=BODY, headers=adam)
    acting = bearer(started.get_json()["access_token"])
    assert client.delete(f"/orgs/acme/scim/tokens/{scim['id']}", headers=acting).status_code == 204
    assert client.delete(f"/auth/tokens/{pat['id']}", headers=acting).status_code == 204
    olga = acme["olga"][1]
    logged = client.get("/orgs/acme/events", headers=olga).get_json()["items"]
    [revoked] = [e for e in logged if e["type"] == "org.scim_token_revoked"]
    assert (revoked["user_id"], revoked["actor_id"]) == (ada_id, adam_id)
    own = client.get("/auth/events?type=pat.revoked", headers=ada).get_json()["items"]
    assert [(e["type"], e["actor_id"]) for e in own] == [("pat.revoked", adam_id)]
    made = client.get("/auth/events?type=pat.created", headers=ada).get_json()["items"]
    assert [e["actor_id"] for e in made] == [None]  # hers, before


def test_the_org_s_policy_is_read_with_the_membership() -> None:
    """What the request's one read of the org and the membership gives (Firestore's
    documents): whether the org lets support access act in it."""
    member = {"roles": ["member"], "version": 1}
    forbids = active_org_from_docs("o1", {"slug": "acme", "impersonation": "forbid"}, member)
    allows = active_org_from_docs("o1", {"slug": "acme"}, member)
    assert forbids is not None and allows is not None
    assert (forbids.support_access, allows.support_access) == (False, True)
