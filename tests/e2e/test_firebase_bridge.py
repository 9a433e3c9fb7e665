"""The Firebase bridge end to end: firegate under gunicorn mints a custom token, the Auth
emulator signs it in, and the Firestore emulator, running the repository's firestore.rules,
lets the account read and write its own profiles/{uid} document and no other.

Firestore is reached as a Firebase client SDK reaches it: its REST API with the end user's
ID token (tests/support/firebase_client.py). The recipe this proves is
docs/recipes/firebase-client.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.api import PASSWORD, bearer
from tests.support.firebase_client import in_org, load_rules, person
from tests.support.orgs import add_org, delete_org, remove_member, set_member

pytestmark = pytest.mark.e2e
RULES = Path(__file__).resolve().parents[2] / "firestore.rules"


@pytest.fixture
def rules(clean_emulators: Any) -> Any:
    """The Firestore emulator enforcing firestore.rules."""
    load_rules(clean_emulators, RULES.read_text())
    return clean_emulators


@pytest.mark.timeout(120)
def test_each_account_reads_and_writes_its_own_profile_only(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    alice = person(gunicorn_url, rules, "alice")
    bob = person(gunicorn_url, rules, "bob")
    for someone in (alice, bob):  # what the app stored for each, earlier
        firestore.document(f"profiles/{someone.user_id}").set({"name": someone.user_id})

    claims = alice.sign_in_to_firebase()
    assert claims["sub"] == claims["user_id"] == alice.user_id
    assert claims["role"] == "user" and claims["token_version"] == 0
    assert claims["firebase"]["sign_in_provider"] == "custom"
    bob.sign_in_to_firebase()

    own = alice.read(f"profiles/{alice.user_id}")
    assert own.status_code == 200, own.text
    assert own.json()["fields"]["name"] == {"stringValue": alice.user_id}
    assert alice.write(f"profiles/{alice.user_id}", "Alice").status_code == 200
    assert bob.read(f"profiles/{bob.user_id}").status_code == 200

    # Another account's document: refused, read or write, and left as it was.
    assert alice.read(f"profiles/{bob.user_id}").status_code == 403
    assert alice.write(f"profiles/{bob.user_id}", "mallory").status_code == 403
    assert bob.read(f"profiles/{alice.user_id}").status_code == 403
    assert firestore.document(f"profiles/{bob.user_id}").get().to_dict() == {"name": bob.user_id}
    assert firestore.document(f"profiles/{alice.user_id}").get().to_dict() == {"name": "Alice"}

    # firegate's own collections stay closed, even the account's own record.
    assert alice.read(f"users/{alice.user_id}").status_code == 403
    assert alice.write(f"users/{alice.user_id}", "x").status_code == 403
    anonymous = requests.get(alice.document(f"profiles/{alice.user_id}"), timeout=30)
    assert anonymous.status_code == 403


@pytest.mark.timeout(120)
def test_the_firebase_session_ends_with_every_firegate_one(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    alice = person(gunicorn_url, rules, "alice")
    firestore.document(f"profiles/{alice.user_id}").set({"name": "Alice"})
    alice.sign_in_to_firebase()
    # The claims survive the SDK's hourly refresh.
    refreshed = alice.refresh_firebase()
    assert refreshed["role"] == "user" and refreshed["token_version"] == 0
    assert alice.read(f"profiles/{alice.user_id}").status_code == 200

    logout = requests.post(
        f"{gunicorn_url}/auth/logout?all=true", headers=bearer(alice.access_token), timeout=60
    )
    assert logout.status_code == 204
    assert alice.read(f"profiles/{alice.user_id}").status_code == 403
    alice.refresh_firebase()  # Firebase still answers; the rules refuse what it gives
    assert alice.read(f"profiles/{alice.user_id}").status_code == 403

    # Signed in to firegate again, a new custom token opens the document again.
    login = requests.post(
        f"{gunicorn_url}/login", json={"username": "alice", "password": PASSWORD}, timeout=60
    )
    assert login.status_code == 200, login.text
    alice.access_token = login.json()["access_token"]
    assert alice.sign_in_to_firebase()["token_version"] == 1
    assert alice.read(f"profiles/{alice.user_id}").status_code == 200


def test_no_custom_token_without_a_live_firegate_session(gunicorn_url: str, rules: Any) -> None:
    alice = person(gunicorn_url, rules, "alice")
    assert (
        requests.post(
            f"{gunicorn_url}/auth/logout", headers=bearer(alice.access_token), timeout=60
        ).status_code
        == 204
    )
    refused = alice.custom_token()
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"


@pytest.mark.timeout(120)
def test_a_deleted_account_reads_nothing(gunicorn_url: str, rules: Any, firestore: Any) -> None:
    alice = person(gunicorn_url, rules, "alice")
    firestore.document(f"profiles/{alice.user_id}").set({"name": "Alice"})
    alice.sign_in_to_firebase()
    assert alice.read(f"profiles/{alice.user_id}").status_code == 200
    deleted = requests.delete(
        f"{gunicorn_url}/user", headers=bearer(alice.access_token), timeout=60
    )
    assert deleted.status_code == 204
    assert not firestore.document(f"users/{alice.user_id}").get().exists
    alice.refresh_firebase()
    assert alice.read(f"profiles/{alice.user_id}").status_code == 403
    assert alice.write(f"profiles/{alice.user_id}", "ghost").status_code == 403


@pytest.mark.timeout(120)
def test_an_org_member_reads_the_orgs_data_until_removed(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    alice, bob = person(gunicorn_url, rules, "alice"), person(gunicorn_url, rules, "bob")
    org_id = add_org(firestore, "acme", {alice.user_id: ("owner",), bob.user_id: ("member",)})
    other = add_org(firestore, "other", {alice.user_id: ("owner",)})
    for org in (org_id, other):
        firestore.document(f"org_data/{org}/plans/q3").set({"name": org})
    in_org(alice, "acme")
    in_org(bob, "acme")
    claims = alice.sign_in_to_firebase()
    version = firestore.document(f"orgs/{org_id}/members/{alice.user_id}").get().get("version")
    assert (claims["org_id"], claims["org_roles"], claims["org_version"]) == (
        org_id,
        ["owner"],
        version,
    )
    bob.sign_in_to_firebase()

    assert alice.read(f"org_data/{org_id}/plans/q3").status_code == 200
    assert bob.read(f"org_data/{org_id}/plans/q3").status_code == 200
    assert alice.write(f"org_data/{org_id}/plans/q3", "Q3").status_code == 200  # an owner
    assert bob.write(f"org_data/{org_id}/plans/q3", "mallory").status_code == 403  # a member
    assert alice.read(f"org_data/{other}/plans/q3").status_code == 403  # not the active org
    assert alice.read(f"orgs/{org_id}").status_code == 403  # firegate's own documents

    # A change of roles moves the membership's version: refused until a new custom token.
    set_member(firestore, org_id, bob.user_id, ("admin",))
    assert bob.read(f"org_data/{org_id}/plans/q3").status_code == 403
    bob.refresh_firebase()  # Firebase's hourly refresh keeps the old claims
    assert bob.read(f"org_data/{org_id}/plans/q3").status_code == 403
    assert bob.sign_in_to_firebase()["org_roles"] == ["admin"]
    assert bob.write(f"org_data/{org_id}/plans/q3", "Bob's").status_code == 200

    # Removed: the next read is refused, and no new custom token names the org.
    remove_member(firestore, org_id, bob.user_id)
    assert bob.read(f"org_data/{org_id}/plans/q3").status_code == 403
    assert "org_id" not in bob.sign_in_to_firebase()
    assert bob.read(f"org_data/{org_id}/plans/q3").status_code == 403

    # The org deleted: its members are refused too.
    assert alice.read(f"org_data/{org_id}/plans/q3").status_code == 200
    delete_org(firestore, org_id)
    assert alice.read(f"org_data/{org_id}/plans/q3").status_code == 403
