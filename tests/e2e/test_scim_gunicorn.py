"""SCIM end to end: gunicorn on the emulators, real HTTP, an org's SCIM token. scim2-tester,
a checker nobody here wrote, finds no failure; 30 parallel creates of one userName make one
user and 409s of scimType uniqueness, and 30 parallel renames onto one address move one
managed account; deprovisioning fails the person's next request; Okta's
and Entra ID's provisioning sequences, replayed from their documentation, go through
(docs/reference/scim.md).

What scim2-tester does not check here, because the service does not announce it: bulk
operations, sorting, password changes and cursors (the ServiceProviderConfig says so, and the
checker follows it); it skips a search at the root (``POST /.search`` of users and groups at
once), which the service answers 501."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier
from typing import Any

import pytest
import requests

from domain.orgs.domains import OrgDomain
from infrastructure.firestore.accounts.users import FirestoreUserRepository
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.scim import SCIM_JSON, patch_body, user_body
from tests.support.servers import serving

pytestmark = pytest.mark.e2e
PARALLEL = 30


@pytest.fixture(scope="module")
def service(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-scim.log") as url:
        yield url


def call(
    method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    return requests.request(method, url, headers=headers or {}, timeout=30, **kwargs)


def signed_in(url: str, name: str) -> dict[str, str]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert call("POST", url + "/register", json=body).status_code == 201
    answer = call("POST", url + "/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


def org_id_of(url: str, admin: dict[str, str], slug: str) -> str:
    org_id: str = call("GET", f"{url}/orgs/{slug}", admin).json()["id"]
    return org_id


def scim_token(url: str, admin: dict[str, str], slug: str) -> dict[str, str]:
    made = call("POST", url + "/orgs", admin, json={"slug": slug, "name": slug.title()})
    assert made.status_code == 201, made.text
    token = call("POST", f"{url}/orgs/{slug}/scim/tokens", admin, json={"name": "Okta"})
    assert token.status_code == 201, token.text
    return {**bearer(token.json()["token"]), "Content-Type": SCIM_JSON}


def verify(firestore: Any, org_id: str, name: str) -> None:
    """The org has verified the domain ``name``."""
    domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
    domain = OrgDomain.create(org_id, name, "admin", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))


def test_scim2_tester_finds_no_failure(service: str) -> None:
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import Status, check_server

    directory = scim_token(service, signed_in(service, "tess"), "tested")
    with Client(base_url=service + "/scim/v2", headers=directory, timeout=30) as http:
        results = check_server(SyncSCIMClient(http))
    failed = [
        (r.title, r.resource_type, r.reason)
        for r in results
        if r.status in (Status.ERROR, Status.CRITICAL, Status.DEVIATION)
    ]
    assert failed == []
    checked = {r.resource_type for r in results if r.status is Status.SUCCESS}
    assert {"User", "Group"} <= checked
    assert len([r for r in results if r.status is Status.SUCCESS]) >= 120


def test_thirty_parallel_creates_of_one_user_name_make_one_user(
    service: str, firestore: Any
) -> None:
    url = service
    admin = signed_in(url, "olga")
    directory = scim_token(url, admin, "acme")
    barrier = Barrier(PARALLEL)

    def create(n: int) -> tuple[int, str | None]:
        body = user_body("Ivy@Example.org" if n % 2 else "ivy@example.ORG")
        barrier.wait()
        answer = call("POST", url + "/scim/v2/Users", directory, json=body)
        return answer.status_code, answer.json().get("scimType")

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = Counter(pool.map(create, range(PARALLEL)))
    assert results == {(201, None): 1, (409, "uniqueness"): PARALLEL - 1}, results
    listed = call(
        "GET", url + '/scim/v2/Users?filter=userName eq "IVY@example.org"', directory
    ).json()
    assert listed["totalResults"] == 1
    members = call("GET", url + "/orgs/acme/members", admin).json()["items"]
    assert len(members) == 2  # the owner and Ivy: one account was made


def test_deprovisioning_fails_the_persons_next_request(service: str, firestore: Any) -> None:
    """``active: false`` on an account the org made on its verified domain: the person's
    access token, refresh token and personal token fail on their next request."""
    url = service
    admin = signed_in(url, "dora")
    directory = scim_token(url, admin, "deprov")
    verify(firestore, org_id_of(url, admin, "deprov"), "deprov.example")
    made = call("POST", url + "/scim/v2/Users", directory, json=user_body("max@deprov.example"))
    assert made.status_code == 201, made.text
    user_id = made.json()["id"]
    # The person sets a password by a reset (no password is made for them) and signs in.
    call("POST", url + "/auth/password/forgot", json={"email": "max@deprov.example"})
    token = mailbox.token_in(mailbox.wait_for("max@deprov.example")[0])
    new = {"token": token, "new_password": "max's own passphrase 1"}
    assert call("POST", url + "/auth/password/reset", json=new).status_code == 204
    signed = call("POST", url + "/login", json={"username": "max", "password": new["new_password"]})
    assert signed.status_code == 200, signed.text
    pair = signed.json()
    access = bearer(pair["access_token"])
    pat_body = {"name": "cli", "scopes": ["read"], "expires_in": 600}
    pat = bearer(call("POST", url + "/auth/tokens", access, json=pat_body).json()["token"])
    assert call("GET", url + "/user", pat).status_code == 200

    off = patch_body({"op": "replace", "path": "active", "value": False})
    answer = call("PATCH", f"{url}/scim/v2/Users/{user_id}", directory, json=off)
    assert answer.status_code == 200 and answer.json()["active"] is False

    assert call("GET", url + "/user", access).status_code == 401
    assert call("GET", url + "/user", pat).status_code == 401
    refreshed = call("POST", url + "/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401


def test_thirty_renames_onto_one_address_move_one_account(service: str, firestore: Any) -> None:
    """Thirty users the org manages, renamed at once to one address on its verified domain:
    one account takes it (200), the others are 409 uniqueness and keep theirs; an address
    off the org's domains is 400 invalidValue."""
    url = service
    admin = signed_in(url, "rita")
    directory = scim_token(url, admin, "renames")
    verify(firestore, org_id_of(url, admin, "renames"), "renames.example")
    ids = []
    for n in range(PARALLEL):
        made = call(
            "POST", url + "/scim/v2/Users", directory, json=user_body(f"r{n}@renames.example")
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    barrier = Barrier(PARALLEL)

    def rename(user_id: str) -> tuple[int, str | None]:
        barrier.wait()
        answer = call(
            "PUT",
            f"{url}/scim/v2/Users/{user_id}",
            directory,
            json=user_body("rae@renames.example"),
        )
        return answer.status_code, answer.json().get("scimType")

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(rename, ids))
    assert Counter(results) == {(200, None): 1, (409, "uniqueness"): PARALLEL - 1}, results
    winner = ids[results.index((200, None))]
    users = FirestoreUserRepository(firestore, write_staged=write_staged)
    moved = users.find_by_login("rae@renames.example")
    assert moved is not None and moved.id == winner and moved.email_verified
    assert users.find_by_login(f"r{ids.index(winner)}@renames.example") is None
    kept = [users.get(user_id) for user_id in ids if user_id != winner]
    assert all(u is not None and u.email and u.email.value != "rae@renames.example" for u in kept)
    off = call(
        "PUT", f"{url}/scim/v2/Users/{ids[0]}", directory, json=user_body("rae@elsewhere.example")
    )
    assert off.status_code == 400 and off.json()["scimType"] == "invalidValue", off.text


# -- Replays of the directories' own provisioning sequences, from their public docs ----------
# Okta: "SCIM 2.0 protocol reference" (developer.okta.com/docs/api/openapi/okta-scim/guides/
# scim-20); Microsoft Entra ID: "Tutorial: Develop and plan provisioning for a SCIM endpoint"
# (learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
# The bodies are theirs, the ids and addresses ours.

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def replay(url: str, directory: dict[str, str]) -> Any:
    def send(method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return call(method, url + "/scim/v2" + path, directory, json=body)

    return send


def test_oktas_provisioning_sequence(service: str) -> None:
    send = replay(service, scim_token(service, signed_in(service, "okta_admin"), "okta-org"))
    user_name = "test.user@example.com"
    # Okta looks the user up before creating them.
    lookup = send("GET", f'/Users?filter=userName eq "{user_name}"&startIndex=1&count=100')
    assert lookup.status_code == 200 and lookup.json()["totalResults"] == 0
    created = send(
        "POST",
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": user_name,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": True, "value": user_name, "type": "work"}],
            "displayName": "Test User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": True,
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert "password" not in user and user["externalId"] == "00ujl29u0le5T6Aj10h7"
    uid = user["id"]
    assert send("GET", f"/Users/{uid}").json()["userName"] == user_name
    found = send("GET", f'/Users?filter=userName eq "{user_name}"&startIndex=1&count=100')
    assert [u["id"] for u in found.json()["Resources"]] == [uid]
    # A profile change: Okta PUTs the whole user.
    profile = {**user, "name": {"givenName": "Another", "familyName": "User"}}
    profile.pop("meta")
    put = send("PUT", f"/Users/{uid}", profile)
    assert put.status_code == 200, put.text
    assert put.json()["name"]["givenName"] == "Another"
    # Push Groups: a group, its members added, renamed, a member removed, deleted.
    group = send(
        "POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []}
    )
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    add = send(
        "PATCH",
        f"/Groups/{gid}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": uid, "display": user_name}]}
            ],
        },
    )
    assert add.status_code == 200, add.text
    assert [m["value"] for m in add.json()["members"]] == [uid]
    rename = send(
        "PATCH",
        f"/Groups/{gid}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 renamed"}}
            ],
        },
    )
    assert rename.status_code == 200, rename.text
    assert rename.json()["displayName"] == "Test SCIMv2 renamed"
    remove = send(
        "PATCH",
        f"/Groups/{gid}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "remove", "path": f'members[value eq "{uid}"]'}],
        },
    )
    assert remove.status_code == 200 and not remove.json().get("members")
    assert send("DELETE", f"/Groups/{gid}").status_code == 204
    # Deactivation: Okta replaces ``active`` without a path.
    off = send(
        "PATCH",
        f"/Users/{uid}",
        {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": False}}]},
    )
    assert off.status_code == 200 and off.json()["active"] is False
    inactive = send("GET", "/Users?filter=active eq false&startIndex=1&count=100")
    assert [u["id"] for u in inactive.json()["Resources"]] == [uid]


def test_entra_ids_provisioning_sequence(service: str) -> None:
    send = replay(service, scim_token(service, signed_in(service, "entra_admin"), "entra-org"))
    user_name = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
    assert send("GET", f'/Users?filter=userName eq "{user_name}"').json()["totalResults"] == 0
    created = send(
        "POST",
        "/Users",
        {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": user_name,
            "active": True,
            "emails": [
                {
                    "primary": True,
                    "type": "work",
                    "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com",
                }
            ],
            "meta": {"resourceType": "User"},
            "name": {
                "formatted": "givenName familyName",
                "familyName": "familyName",
                "givenName": "givenName",
            },
            "roles": [],
            ENTERPRISE: {"department": "Sales", "employeeNumber": "42"},
        },
    )
    assert created.status_code == 201, created.text
    uid = created.json()["id"]
    assert created.json()[ENTERPRISE]["department"] == "Sales"
    # Entra ID looks users up by userName, and by externalId.
    by_name = send("GET", f'/Users?filter=userName eq "{user_name}"')
    assert [u["id"] for u in by_name.json()["Resources"]] == [uid]
    by_external = send("GET", '/Users?filter=externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')
    assert by_external.json()["totalResults"] == 1
    # Its PATCH names operations with a capital letter and sets the work address by a filter.
    update = send(
        "PATCH",
        f"/Users/{uid}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {
                    "op": "Replace",
                    "path": 'emails[type eq "work"].value',
                    "value": "updatedEmail@microsoft.com",
                },
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            ],
        },
    )
    assert update.status_code == 200, update.text
    assert update.json()["emails"][0]["value"] == "updatedEmail@microsoft.com"
    assert update.json()["name"]["familyName"] == "updatedFamilyName"
    # Groups: created, looked up without their members, a member added and removed.
    group = send(
        "POST",
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": {"resourceType": "Group"},
        },
    )
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    looked = send("GET", '/Groups?excludedAttributes=members&filter=displayName eq "displayName"')
    assert [g["id"] for g in looked.json()["Resources"]] == [gid]
    add = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": uid}]}],
    }
    assert send("PATCH", f"/Groups/{gid}", add).status_code in (200, 204)
    members = send("GET", f'/Groups?filter=members[value eq "{uid}"]').json()
    assert members["totalResults"] == 1
    remove = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": uid}]}
        ],
    }
    removed = send("PATCH", f"/Groups/{gid}", remove)
    assert removed.status_code == 200, removed.text
    assert not removed.json().get("members")
    # Disabling, then the soft delete's hard delete.
    off = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "Replace", "path": "active", "value": False}],
    }
    assert send("PATCH", f"/Users/{uid}", off).json()["active"] is False
    assert send("DELETE", f"/Users/{uid}").status_code == 204
    assert send("GET", f"/Users/{uid}").status_code == 404
    assert send("DELETE", f"/Groups/{gid}").status_code == 204
