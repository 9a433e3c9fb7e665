"""Organizations against gunicorn on the emulators: the routes end to end, 30 parallel
creations of one slug, the last owner under 30 parallel demotions and departures, a removed
member's next read (docs/reference/orgs.md)."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from google.cloud.firestore import FieldFilter

from domain.orgs.roles import Granter
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from tests.support.orgs import served_account
from tests.support.races import RACERS

pytestmark = pytest.mark.e2e
Auth = dict[str, str]


def account(url: str, name: str, domain: str = "example.com") -> tuple[str, Auth]:
    return served_account(url, name, domain)


def accounts(url: str, prefix: str, count: int) -> list[tuple[str, Auth]]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda i: account(url, f"{prefix}{i}"), range(count)))


def owned_by_all(url: str, firestore: Any, prefix: str) -> tuple[list[tuple[str, Auth]], str]:
    """RACERS new accounts, each an owner of one new org: them, and the org's id."""
    owners = accounts(url, prefix, RACERS)
    made = call("POST", f"{url}/orgs", owners[0][1], {"slug": prefix, "name": prefix})
    org_id: str = made.json()["id"]
    repository = FirestoreOrgRepository(firestore)
    for user_id, _ in owners[1:]:
        repository.add_member(
            org_id, user_id, ("owner",), datetime.now(UTC), granter=Granter.operator()
        )
    return owners, org_id


def call(method: str, url: str, auth: Auth, json: Any = None) -> requests.Response:
    return requests.request(method, url, headers=auth, json=json, timeout=60)


def test_the_routes_end_to_end(gunicorn_url: str, firestore: Any) -> None:
    url = gunicorn_url
    (alice_id, alice), (bob_id, bob) = accounts(url, "orguser", 2)
    made = call("POST", f"{url}/orgs", alice, {"slug": "acme", "name": "Acme"})
    assert made.status_code == 201, made.text
    org = made.json()
    assert set(org) == {"id", "slug", "name", "created_at", "roles"}
    assert call("GET", f"{url}/orgs/acme", bob).status_code == 404
    # An operator's addition (the command line's use case) on the same Firestore.
    FirestoreOrgRepository(firestore).add_member(
        org["id"], bob_id, ("member",), datetime.now(UTC), granter=Granter.operator()
    )
    assert call("GET", f"{url}/orgs/{org['id']}", bob).json()["roles"] == ["member"]
    mine = call("GET", f"{url}/orgs", bob).json()["items"]
    assert [(o["slug"], o["roles"]) for o in mine] == [("acme", ["member"])]
    patched = call("PATCH", f"{url}/orgs/acme", alice, {"name": "Acme 2", "custom_roles": ["ops"]})
    assert patched.status_code == 200 and patched.json()["custom_roles"] == ["ops"]
    member = f"{url}/orgs/acme/members/{bob_id}"
    changed = call("PATCH", member, alice, {"roles": ["admin", "ops"]})
    assert changed.status_code == 200 and changed.json()["roles"] == ["admin", "ops"]
    held = call("PATCH", f"{url}/orgs/acme", bob, {"custom_roles": []})
    assert held.status_code == 409 and held.json()["code"] == "custom_role_in_use"
    listed = call("GET", f"{url}/orgs/acme/members?limit=1", bob).json()
    rest = call("GET", f"{url}/orgs/acme/members?cursor={listed['next_cursor']}", bob).json()
    ids = [m["user_id"] for m in listed["items"] + rest["items"]]
    assert ids == sorted([alice_id, bob_id]) and rest["next_cursor"] is None
    events = call("GET", f"{url}/orgs/acme/events", bob).json()["items"]
    assert [e["type"] for e in events] == [
        "org.member_roles_changed",
        "org.updated",
        "org.created",
    ]  # the operator's addition went through the repository alone: no event
    assert call("DELETE", member, bob).status_code == 204  # bob leaves
    answer = call("GET", f"{url}/orgs/{org['id']}", bob)
    assert answer.status_code == 404 and answer.json()["code"] == "org_not_found"
    assert call("DELETE", f"{url}/orgs/acme", alice).status_code == 204
    assert call("GET", f"{url}/orgs/acme", alice).status_code == 404
    again = call("POST", f"{url}/orgs", bob, {"slug": "acme", "name": "Acme, again"})
    assert again.status_code == 201  # the slug was freed with the deletion


def test_30_parallel_creations_of_one_slug_and_its_look_alikes_make_one(
    gunicorn_url: str, firestore: Any
) -> None:
    _, auth = account(gunicorn_url, "founder")
    slugs = ["acme", "acrne", "acme", "acm3"]  # acme's look-alikes, and a distinct one

    def create(i: int) -> requests.Response:
        body = {"slug": slugs[i % 3], "name": f"Org {i}"}
        return call("POST", f"{gunicorn_url}/orgs", auth, body)

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(create, range(RACERS)))
    assert Counter(a.status_code for a in answers) == {201: 1, 409: RACERS - 1}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"slug_taken"}
    assert len(list(firestore.collection("orgs").stream())) == 1
    assert len(list(firestore.collection("org_slugs").stream())) == 1
    assert call("POST", f"{gunicorn_url}/orgs", auth, {"slug": slugs[3], "name": "x"}).ok


def test_the_last_owner_survives_30_parallel_demotions_and_departures(
    gunicorn_url: str, firestore: Any
) -> None:
    owners, org_id = owned_by_all(gunicorn_url, firestore, "owner")

    def give_up(i: int) -> requests.Response:
        """Each owner demotes themselves or leaves, at once."""
        user_id, auth = owners[i]
        member = f"{gunicorn_url}/orgs/{org_id}/members/{user_id}"
        if i % 2:
            return call("PATCH", member, auth, {"roles": ["member"]})
        return call("DELETE", member, auth)

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(give_up, range(RACERS)))
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {200, 204, 409}, [a.text for a in answers if a.status_code >= 300]
    assert statuses[409] == 1
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"last_owner"}
    members = firestore.collection("orgs").document(org_id).collection("members").stream()
    remaining = [m.to_dict() for m in members]
    assert [m["roles"] for m in remaining].count(["owner"]) == 1
    org = firestore.collection("orgs").document(org_id).get().to_dict()
    assert org["owners"] == 1
    assert len(remaining) == 1 + statuses[200]  # the demoted stay, the departed are gone


def test_the_last_owner_survives_30_parallel_account_deletions_and_demotions(
    gunicorn_url: str, firestore: Any
) -> None:
    """Each owner deletes their account or demotes themselves, at once: one owner stays,
    with a live account (docs/decisions/0381-an-account-deleted-leaves-its-orgs.md)."""
    owners, org_id = owned_by_all(gunicorn_url, firestore, "leaver")

    def give_up(i: int) -> requests.Response:
        user_id, auth = owners[i]
        if i % 2:
            return call(
                "PATCH",
                f"{gunicorn_url}/orgs/{org_id}/members/{user_id}",
                auth,
                {"roles": ["member"]},
            )
        return call("DELETE", f"{gunicorn_url}/user", auth)

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(give_up, range(RACERS)))
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {200, 204, 409}, [a.text for a in answers if a.status_code >= 300]
    assert statuses[409] == 1
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"last_owner"}
    members = {
        m.id: m.to_dict()
        for m in firestore.collection("orgs").document(org_id).collection("members").stream()
    }
    (owner,) = [user_id for user_id, m in members.items() if "owner" in m["roles"]]
    live = {
        u.id for u in firestore.collection("users").stream() if not u.to_dict().get("deleted_at")
    }
    assert set(members) <= live  # no deleted account stays a member
    assert owner in live
    assert len(members) == 1 + statuses[200]  # the demoted stay, the deleted are gone
    assert firestore.collection("orgs").document(org_id).get().to_dict()["owners"] == 1


def test_a_deleted_orgs_purge_ends_its_invitations_and_members(
    gunicorn_url: str, firestore: Any
) -> None:
    (_, alice), (bob_id, _) = accounts(gunicorn_url, "purged", 2)
    made = call("POST", f"{gunicorn_url}/orgs", alice, {"slug": "gone", "name": "Gone"})
    org_id = made.json()["id"]
    FirestoreOrgRepository(firestore).add_member(
        org_id, bob_id, ("member",), datetime.now(UTC), granter=Granter.operator()
    )
    invited = call(
        "POST",
        f"{gunicorn_url}/orgs/gone/invitations",
        alice,
        {"email": "ivy@example.com", "roles": ["member"]},
    )
    assert invited.status_code == 201, invited.text
    assert call("DELETE", f"{gunicorn_url}/orgs/gone", alice).status_code == 204
    org = firestore.collection("orgs").document(org_id)
    invitations = firestore.collection("org_invitations").where(
        filter=FieldFilter("org_id", "==", org_id)
    )
    deadline = time.monotonic() + 30
    while org.get().exists or list(invitations.stream()):  # the purge job, in the server
        assert time.monotonic() < deadline, "the org's purge did not finish"
        time.sleep(0.2)
    assert list(org.collection("members").stream()) == []
