"""Organizations written straight into Firestore by the fixed layout of
``application/orgs/ports.py`` (orgs/{id}, org_slugs/{slug key}, orgs/{id}/members/{user}),
as the org repository's commits leave them: for the tests of what reads them (the active
org, the Firebase rules) without going through the org API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests

from domain.accounts.credentials import username_key
from domain.orgs.orgs import new_member_version, new_org_id
from infrastructure.firestore.client import claim_id
from tests.support.api import PASSWORD


def add_org(
    firestore: Any, slug: str, members: dict[str, tuple[str, ...]], *, require_mfa: bool = False
) -> str:
    """A live org named ``slug`` with ``members`` (user id -> roles); its id."""
    org_id, now = new_org_id(), datetime.now(UTC)
    owners = sum("owner" in roles for roles in members.values())
    firestore.collection("orgs").document(org_id).set(
        {
            "slug": slug,
            "name": slug.title(),
            "created_at": now,
            "updated_at": now,
            "domain_policy": "none",
            "require_mfa": require_mfa,
            "custom_roles": [],
            "owners": owners,
            "deleted_at": None,
        }
    )
    firestore.collection("org_slugs").document(claim_id(username_key(slug))).set({"org_id": org_id})
    for user_id, roles in members.items():
        set_member(firestore, org_id, user_id, roles)
    return org_id


def set_member(firestore: Any, org_id: str, user_id: str, roles: tuple[str, ...]) -> int:
    """Add the member or change their roles, at a new version (returned), with its copy of
    the account's token_version."""
    org = firestore.collection("orgs").document(org_id)
    version = new_member_version()
    now = datetime.now(UTC)
    account = firestore.collection("users").document(user_id).get().to_dict() or {}
    org.collection("members").document(user_id).set(
        {
            "org_id": org_id,
            "user_id": user_id,
            "roles": list(roles),
            "version": version,
            "joined_at": now,
            "updated_at": now,
            "token_version": account.get("token_version", 0),
        }
    )
    return version


def remove_member(firestore: Any, org_id: str, user_id: str) -> None:
    firestore.collection("orgs").document(org_id).collection("members").document(user_id).delete()


def delete_org(firestore: Any, org_id: str) -> None:
    """The org's tombstone, after its memberships' versions moved on, as
    ``OrgRepository.mark_deleted`` leaves them."""
    org = firestore.collection("orgs").document(org_id)
    for member in org.collection("members").stream():
        member.reference.update({"version": new_member_version()})
    org.update({"deleted_at": datetime.now(UTC)})


def served_account(url: str, name: str, domain: str = "example.com") -> tuple[str, dict[str, str]]:
    """A new account ``name@domain`` on a served firegate, signed in: its id and its bearer
    header."""
    body = {"username": name, "email": f"{name}@{domain}", "password": PASSWORD}
    made = requests.post(f"{url}/register", json=body, timeout=60)
    assert made.status_code == 201, made.text
    login = requests.post(f"{url}/login", json={"username": name, "password": PASSWORD}, timeout=60)
    assert login.status_code == 200, login.text
    return made.json()["id"], {"Authorization": f"Bearer {login.json()['access_token']}"}
