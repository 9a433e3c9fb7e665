"""Joining an org by its verified domain against gunicorn on the emulators: the suggestion, 30
parallel joins of one person making one membership, and auto_join through the verification
link (docs/reference/orgs.md, "Joining by domain")."""

from __future__ import annotations

import secrets
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.support import mailbox
from tests.support.orgs import add_org, served_account
from tests.support.races import RACERS

pytestmark = pytest.mark.e2e
Auth = dict[str, str]


def account(url: str, name: str, domain: str = "example.com") -> tuple[str, Auth]:
    return served_account(url, name, domain)


def open_to(firestore: Any, org_id: str, domain: str, policy: str) -> None:
    """The org verified ``domain`` (its claim, as verifying leaves it) and has ``policy``."""
    now = datetime.now(UTC)
    firestore.collection("verified_domains").document(domain).set(
        {"org_id": org_id, "verified_at": now}
    )
    firestore.collection("orgs").document(org_id).update({"domain_policy": policy})


def test_30_parallel_joins_make_one_membership(gunicorn_url: str, firestore: Any) -> None:
    owner_id, _ = account(gunicorn_url, "olga")
    org_id = add_org(firestore, "acme", {owner_id: ("owner",)})
    open_to(firestore, org_id, "example.com", "suggest")
    ivy_id, ivy = account(gunicorn_url, "ivy")
    firestore.collection("users").document(ivy_id).update({"email_verified": True})
    suggested = requests.get(f"{gunicorn_url}/orgs/suggested", headers=ivy, timeout=60)
    assert [o["slug"] for o in suggested.json()["items"]] == ["acme"]

    def join(_: int) -> requests.Response:
        return requests.post(f"{gunicorn_url}/orgs/acme/join", headers=ivy, timeout=60)

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(join, range(RACERS)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 1, 409: RACERS - 1}, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"already_member"}
    members = firestore.collection("orgs").document(org_id).collection("members").stream()
    assert sorted(m.id for m in members) == sorted([owner_id, ivy_id])
    org = firestore.collection("orgs").document(org_id).get().to_dict()
    assert org["owners"] == 1
    added = [
        e.to_dict()
        for e in firestore.collection("security_events").stream()
        if e.to_dict().get("type") == "org.member_added"
    ]
    assert [(e["user_id"], e["org_id"], e["reason"]) for e in added] == [(ivy_id, org_id, "domain")]
    assert requests.get(f"{gunicorn_url}/orgs/suggested", headers=ivy, timeout=60).json() == {
        "items": []
    }


def test_the_verification_link_auto_joins(gunicorn_url: str, firestore: Any) -> None:
    owner_id, _ = account(gunicorn_url, "olga")
    org_id = add_org(firestore, "acme", {owner_id: ("owner",)})
    open_to(firestore, org_id, "auto.example", "auto_join")
    name = f"ivy{secrets.token_hex(4)}"  # the mailbox is not wiped between runs
    ivy_id, ivy = account(gunicorn_url, name, "auto.example")
    (mail,) = mailbox.wait_for(f"{name}@auto.example")
    token = mailbox.token_in(mail)
    verified = requests.post(f"{gunicorn_url}/auth/email/verify", json={"token": token}, timeout=60)
    assert verified.status_code == 200, verified.text
    mine = requests.get(f"{gunicorn_url}/orgs", headers=ivy, timeout=60).json()["items"]
    assert [(o["slug"], o["roles"]) for o in mine] == [("acme", ["member"])]
    member = firestore.collection("orgs").document(org_id).collection("members").document(ivy_id)
    assert member.get().to_dict()["roles"] == ["member"]
