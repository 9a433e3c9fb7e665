"""Roles change in one place with the granter named, on the Firestore emulator
(docs/reference/orgs.md, "Roles and permissions"; docs/decisions/0508-roles-change-in-one-
place.md, 0509-a-refused-grant-of-a-directory-or-a-connection.md, 0511-a-connection-maps-
with-its-mappers-rights.md): an admin's SCIM group named after a role they could not give,
an admin's edit of an active connection's mapping, the mapping of an owner since demoted (an
OpenID connection, at a just-in-time sign-in and at a later one) give nothing, and the
refusals are on the org's audit log; thirty group pushes racing the token maker's demotion
leave no escalation. (An invitation's acceptance is checked in the same commit: the
repository's contract test, tests/contract/test_org_roles.py.)"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support.api import assert_problem, bearer, login, register, services
from tests.support.oidc_idp import CLIENT_ID, CLIENT_SECRET, OidcIdpForTests, oidc_idp
from tests.support.races import RACERS, Call, race
from tests.support.scim import GROUP, GROUPS, USERS, patch_body, user_body

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
Auth = dict[str, str]
PAY = "invoices:write"
CORP = "corp.example"


def member_doc(firestore: Any, org_id: str, user_id: str) -> Any:
    return firestore.collection("orgs").document(org_id).collection("members").document(user_id)


def held(firestore: Any, org_id: str, user_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = member_doc(firestore, org_id, user_id).get().to_dict()
    return found


def an_org(app: Flask, client: FlaskClient, firestore: Any) -> tuple[str, Auth]:
    """The org "corp" of olga, ``corp.example`` verified, its role ``billing`` holding
    invoices:write: its id and olga's headers."""
    register(client, "olga")
    olga = bearer(login(client, "olga"))
    made = client.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=olga)
    assert made.status_code == 201, made.get_json()
    org_id: str = made.get_json()["id"]
    domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
    domain = OrgDomain.create(org_id, CORP, "olga", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))
    billing = client.put("/orgs/corp/roles/billing", json={"permissions": [PAY]}, headers=olga)
    assert billing.status_code == 201, billing.get_json()
    return org_id, olga


def joined(app: Flask, client: FlaskClient, name: str, *roles: str) -> tuple[str, Auth]:
    """``name``'s new account, made a member with ``roles`` by the operators."""
    user_id: str = register(client, name)["id"]
    services(app).of(OrgServices).members.add_member(AddMember("corp", name, roles))
    return user_id, bearer(login(client, name))


def scim_token(client: FlaskClient, by: Auth) -> Auth:
    made = client.post("/orgs/corp/scim/tokens", json={"name": "Okta"}, headers=by)
    assert made.status_code == 201, made.get_json()
    return bearer(made.get_json()["token"])


def provisioned(client: FlaskClient, token: Auth, address: str) -> str:
    made = client.post(USERS, json=user_body(address), headers=token)
    assert made.status_code == 201, made.get_data(as_text=True)
    user_id: str = made.get_json(force=True)["id"]
    return user_id


def group_body(*members: str) -> dict[str, Any]:
    return {
        "schemas": [GROUP],
        "displayName": "billing",
        "members": [{"value": m} for m in members],
    }


def refusals(client: FlaskClient, by: Auth) -> list[tuple[str, str, str]]:
    """The org's audit log's refused grants: (member, via, whose rights)."""
    items = client.get("/orgs/corp/events?limit=100", headers=by).get_json()["items"]
    return [
        (e["user_id"], e["via"], e["actor_id"])
        for e in items
        if e["type"] == "org.member_roles_changed" and e["outcome"] == "failure"
    ]


def oidc_sign_in(app: Flask, idp: OidcIdpForTests, cid: str, email: str, groups: list[str]) -> None:
    browser = app.test_client()
    started = browser.get(f"/sso/{cid}/oidc?next=/account")
    assert started.status_code == 303, started.text
    person = {"sub": f"sub-{email}", "email": email, "groups": groups}
    back = urlsplit(idp.authorize(started.headers["Location"], person))
    arrived = browser.get(back.path + "?" + back.query)
    assert arrived.status_code == 303, arrived.text  # signed in, whatever the roles
    assert urlsplit(arrived.headers["Location"]).path == "/account"


def test_a_directory_and_a_connection_give_no_role_beyond_their_granter(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    client = real_client
    org_id, olga = an_org(real_app, client, firestore)
    olga_id = client.get("/user", headers=olga).get_json()["id"]
    _, adam = joined(real_app, client, "adam", "admin")
    _, otto = joined(real_app, client, "otto", "owner")

    # An admin's SCIM group named after the role: refused, nothing stored.
    admins_token = scim_token(client, adam)
    bob = provisioned(client, admins_token, "bob@elsewhere.example")
    pushed = client.post(GROUPS, json=group_body(bob), headers=admins_token)
    assert pushed.status_code == 403, pushed.get_data(as_text=True)
    assert pushed.get_json(force=True)["detail"].startswith("permission_escalation: ")
    assert client.get(GROUPS, headers=admins_token).get_json(force=True)["totalResults"] == 0
    bobs = held(firestore, org_id, bob)
    assert bobs is not None and PAY not in bobs["permissions"]

    mapping: dict[str, Any] = {
        "groups": "groups",
        "roles": {"Billing": ["billing"], "IT": ["admin"]},
    }
    with oidc_idp() as idp:
        body = {
            "kind": "oidc",
            "name": "Corp IdP",
            "status": "active",
            "oidc": {"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            "mapping": mapping,
        }
        made = client.post("/orgs/corp/connections", json=body, headers=olga)
        assert made.status_code == 201, made.get_json()
        cid = made.get_json()["id"]
        url = f"/orgs/corp/connections/{cid}"

        # An admin's edit of the mapping to the role: 403 at once, the mapping as it was.
        edit = {"mapping": {**mapping, "roles": {"Staff": ["billing"]}}}
        assert_problem(client.patch(url, json=edit, headers=adam), 403, "permission_escalation")
        assert client.get(url, headers=adam).get_json()["mapping"] == made.get_json()["mapping"]

        # olga's mapping gives billing while she is an owner...
        oidc_sign_in(real_app, idp, cid, f"gil@{CORP}", ["Billing"])
        oidc_sign_in(real_app, idp, cid, f"hal@{CORP}", ["IT"])
        accounts = {
            m["username"]: m
            for m in client.get("/orgs/corp/members?limit=50", headers=olga).get_json()["items"]
        }
        assert accounts["gil"]["permissions"] == [PAY]
        hal = accounts["hal"]["user_id"]
        # ... and no more once otto made her an admin: signed in, given nothing.
        demoted = client.patch(
            f"/orgs/corp/members/{olga_id}", json={"roles": ["admin"]}, headers=otto
        )
        assert demoted.status_code == 200, demoted.get_json()
        oidc_sign_in(real_app, idp, cid, f"ida@{CORP}", ["Billing"])  # just in time
        oidc_sign_in(real_app, idp, cid, f"hal@{CORP}", ["Billing"])  # a later sign-in
    members = client.get("/orgs/corp/members?limit=50", headers=otto).get_json()["items"]
    by_name = {m["username"]: m for m in members}
    ida = by_name["ida"]["user_id"]
    assert (by_name["ida"]["roles"], by_name["ida"]["permissions"]) == (["member"], [])
    assert (by_name["hal"]["roles"], by_name["hal"]["permissions"]) == (["admin"], [])

    # The token of the admin refused carries nothing of it.
    switched = client.post("/auth/org", json={"org": "corp"}, headers=adam)
    assert switched.status_code == 200, switched.get_json()
    whoami = client.get("/auth/whoami", headers=bearer(switched.get_json()["access_token"]))
    assert whoami.get_json()["org"]["permissions"] == []

    assert sorted(refusals(client, otto)) == sorted([(ida, "sso", olga_id), (hal, "sso", olga_id)])


def test_30_group_pushes_racing_the_token_makers_demotion_leave_no_escalation(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    client = real_client
    org_id, olga = an_org(real_app, client, firestore)
    payer = client.put("/orgs/corp/roles/payer", json={"permissions": [PAY]}, headers=olga)
    assert payer.status_code == 201
    mia_id, mia = joined(real_app, client, "mia", "admin", "payer")
    token = scim_token(client, mia)
    people = [provisioned(client, token, f"u{i:02}@elsewhere.example") for i in range(RACERS - 1)]
    groups = []
    for _ in people:
        made = client.post(GROUPS, json=group_body(), headers=token)
        assert made.status_code == 201, made.get_data(as_text=True)
        groups.append(made.get_json(force=True)["id"])

    # The pushes set off over two seconds, the demotion amid them: some commit before it,
    # some after, whatever the machine's speed.
    def demote(racer: FlaskClient) -> TestResponse:
        time.sleep(1.0)
        return racer.patch(f"/orgs/corp/members/{mia_id}", json={"roles": ["admin"]}, headers=olga)

    def push(i: int) -> Call:
        add = patch_body({"op": "add", "path": "members", "value": [{"value": people[i]}]})

        def pushed(racer: FlaskClient) -> TestResponse:
            time.sleep(i * 2 / RACERS)
            return racer.patch(f"{GROUPS}/{groups[i]}", json=add, headers=token)

        return pushed

    outcomes = race(real_app, [demote, *(push(i) for i in range(len(people)))])
    assert outcomes[0].status == 200
    assert {o.status for o in outcomes[1:]} <= {200, 403}, outcomes
    demoted = member_doc(firestore, org_id, mia_id).get()
    assert demoted.to_dict()["permissions"] == []
    holders = 0
    for user_id, outcome in zip(people, outcomes[1:], strict=True):
        snap = member_doc(firestore, org_id, user_id).get()
        holds = "billing" in snap.to_dict()["roles"]
        assert holds == (outcome.status == 200), user_id
        assert (PAY in snap.to_dict()["permissions"]) == holds
        if holds:  # given while mia still held invoices:write: before her demotion
            holders += 1
            assert snap.update_time < demoted.update_time
    print(f"{holders} of {len(people)} given before the demotion")
