"""The active organization over gunicorn on the Firestore emulator: POST /auth/org, the access
token's ``org`` claim, and the membership read with every request, so that a removal, a
deleted org or a change of roles counts from the next request (docs/reference/orgs.md)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from tests.support.api import bearer
from tests.support.orgs import add_org, delete_org, remove_member, set_member
from tests.support.served_api import signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def claims_of(jwt: str) -> dict[str, Any]:
    body = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def switch(url: str, token: str, org: str | None) -> requests.Response:
    return requests.post(f"{url}/auth/org", json={"org": org}, headers=bearer(token), timeout=60)


def whoami(url: str, token: str) -> requests.Response:
    return requests.get(f"{url}/auth/whoami", headers=bearer(token), timeout=60)


def test_a_member_switches_and_loses_the_org_at_once_when_removed(
    gunicorn_url: str, firestore: Any
) -> None:
    alice = signed_in(gunicorn_url, "alice")
    org_id = add_org(firestore, "acme", {alice["user_id"]: ("owner",)})
    switched = switch(gunicorn_url, alice["access_token"], "acme")
    assert switched.status_code == 200, switched.text
    token = switched.json()["access_token"]
    org = {"id": org_id, "slug": "acme", "roles": ["owner"], "permissions": []}
    assert claims_of(token)["org"] == org
    assert whoami(gunicorn_url, token).json()["org"]["id"] == org_id
    stored = firestore.collection("sessions").document(claims_of(token)["sid"]).get().to_dict()
    assert stored["org_id"] == org_id

    set_member(firestore, org_id, alice["user_id"], ("member", "billing"))
    assert whoami(gunicorn_url, token).json()["org"]["roles"] == ["member", "billing"]

    remove_member(firestore, org_id, alice["user_id"])
    me = whoami(gunicorn_url, token)
    assert me.status_code == 200 and me.json()["org"] is None  # the account goes on
    refreshed = requests.post(
        f"{gunicorn_url}/auth/refresh", json={"refresh_token": alice["refresh_token"]}, timeout=60
    )
    assert refreshed.status_code == 200, refreshed.text
    assert "org" not in claims_of(refreshed.json()["access_token"])
    assert switch(gunicorn_url, token, org_id).json()["code"] == "org_not_found"


def test_a_deleted_org_ends_at_once(gunicorn_url: str, firestore: Any) -> None:
    alice = signed_in(gunicorn_url, "alice")
    org_id = add_org(firestore, "acme", {alice["user_id"]: ("owner",)})
    token = switch(gunicorn_url, alice["access_token"], org_id).json()["access_token"]
    refreshed = requests.post(
        f"{gunicorn_url}/auth/refresh", json={"refresh_token": alice["refresh_token"]}, timeout=60
    )
    assert claims_of(refreshed.json()["access_token"])["org"]["id"] == org_id  # kept
    delete_org(firestore, org_id)
    assert whoami(gunicorn_url, token).json()["org"] is None
    assert switch(gunicorn_url, token, "acme").status_code == 404


def test_a_non_member_learns_nothing_and_clearing_works(gunicorn_url: str, firestore: Any) -> None:
    alice, bob = signed_in(gunicorn_url, "alice"), signed_in(gunicorn_url, "bob")
    org_id = add_org(firestore, "acme", {bob["user_id"]: ("owner",)})
    for name in (org_id, "acme", "nothing-here"):
        refused = switch(gunicorn_url, alice["access_token"], name)
        assert refused.status_code == 404 and refused.json()["code"] == "org_not_found"
    in_org = switch(gunicorn_url, bob["access_token"], "acme").json()["access_token"]
    cleared = switch(gunicorn_url, in_org, None)
    assert cleared.status_code == 200 and "org" not in claims_of(cleared.json()["access_token"])
    assert whoami(gunicorn_url, in_org).json()["org"] is None


def test_an_org_that_requires_mfa_refuses_an_account_without_a_second_factor(
    gunicorn_url: str, firestore: Any
) -> None:
    alice = signed_in(gunicorn_url, "alice")
    add_org(firestore, "acme", {alice["user_id"]: ("owner",)}, require_mfa=True)
    refused = switch(gunicorn_url, alice["access_token"], "acme")
    assert refused.status_code == 403 and refused.json()["code"] == "mfa_setup_required"


def test_the_session_token_carries_the_members_permissions_in_the_org(
    gunicorn_url: str, firestore: Any
) -> None:
    url = gunicorn_url
    alice, bob = signed_in(url, "alice"), signed_in(url, "bob")
    owner = bearer(alice["access_token"])
    made = requests.post(
        f"{url}/orgs", json={"slug": "acme", "name": "Acme"}, headers=owner, timeout=60
    )
    assert made.status_code == 201, made.text
    org_id = made.json()["id"]
    billing = {"description": "Invoices", "permissions": ["invoices:write", "invoices:read"]}
    put = requests.put(f"{url}/orgs/acme/roles/owner", json=billing, headers=owner, timeout=60)
    assert put.status_code == 200, put.text
    token = switch(url, alice["access_token"], "acme").json()["access_token"]
    assert claims_of(token)["org"] == {
        "id": org_id,
        "slug": "acme",
        "roles": ["owner"],
        "permissions": ["invoices:read", "invoices:write"],
    }
    # a role's edit counts from the next request, and in the next token
    narrowed = {"permissions": ["invoices:read"]}
    assert requests.put(f"{url}/orgs/acme/roles/owner", json=narrowed, headers=owner, timeout=60).ok
    assert whoami(url, token).json()["org"]["permissions"] == ["invoices:read"]
    refreshed = requests.post(
        f"{url}/auth/refresh", json={"refresh_token": alice["refresh_token"]}, timeout=60
    )
    assert claims_of(refreshed.json()["access_token"])["org"]["permissions"] == ["invoices:read"]
    assert switch(url, bob["access_token"], "acme").status_code == 404
