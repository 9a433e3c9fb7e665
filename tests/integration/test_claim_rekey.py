"""Username and address claims stored under an older key rule move to the current one, and
addresses that folded onto another's are listed, on the emulator
(docs/decisions/0493-one-address-one-account.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.orgs.joining.domains import org_for_domain
from domain.accounts.credentials import Email, Username, fold, login_key
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from infrastructure.firestore.accounts.claim_keys import rekey_claims
from infrastructure.firestore.accounts.users import FirestoreUserRepository, user_to_doc
from infrastructure.firestore.client import claim_id
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.migration.look_alikes import claim_look_alikes
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def stored_under_the_old_rule(firestore: Any, user_id: str, name: str, age: int) -> None:
    """A user and its claims as written when the claim key was fold(name)."""
    now = T0 + timedelta(days=age)
    user = User.register(
        admitted=ALLOWED,
        id=user_id,
        username=Username(name),
        email=Email(f"{user_id}@example.com"),
        password_hash="h",
        now=now,
    )
    doc = {**user_to_doc(user), "username_normalized": fold(name)}
    firestore.collection("users").document(user_id).set(doc)
    firestore.collection("usernames").document(claim_id(fold(name))).set(
        {"user_id": user_id, "kind": "usernames"}
    )
    firestore.collection("emails").document(
        claim_id(Email(f"{user_id}@example.com").normalized)
    ).set({"user_id": user_id, "kind": "emails"})


def claim_holder(firestore: Any, key: str) -> str | None:
    snap = firestore.collection("usernames").document(claim_id(key)).get()
    return (snap.to_dict() or {}).get("user_id") if snap.exists else None


def test_claims_move_to_the_skeleton_and_the_older_account_keeps_a_look_alike(
    firestore: Any,
) -> None:
    stored_under_the_old_rule(firestore, "u-alice", "alice", age=0)  # key unchanged
    stored_under_the_old_rule(firestore, "u-sam", "Sam", age=1)  # "sam" -> "sarn"
    stored_under_the_old_rule(firestore, "u-alıce", "al\u0131ce", age=2)  # look-alike
    users = FirestoreUserRepository(firestore, write_staged=write_staged)
    assert users.find_by_login(login_key("sam")) is None  # before: unreachable by name

    report = rekey_claims(firestore)

    assert (report.moved, report.unchanged) == (1, 1)
    assert report.collisions == [("u-alıce", "al\u0131ce", "u-alice")]
    assert claim_holder(firestore, Username("Sam").normalized) == "u-sam"
    assert claim_holder(firestore, "sam") is None
    assert claim_holder(firestore, "alice") == "u-alice"
    found = users.find_by_login(login_key("SAM"))
    assert found is not None and found.id == "u-sam"
    again = rekey_claims(firestore)
    assert (again.moved, again.unchanged, len(again.collisions)) == (0, 2, 1)


def test_of_two_accounts_whose_names_now_share_a_key_the_older_keeps_it(firestore: Any) -> None:
    # Both claims move to "sarn"; the younger account comes first in document order.
    stored_under_the_old_rule(firestore, "u-a-younger", "\u0405am", age=3)  # Cyrillic Dze
    stored_under_the_old_rule(firestore, "u-z-older", "Sam", age=1)

    report = rekey_claims(firestore)

    assert report.moved == 1
    assert report.collisions == [("u-a-younger", "\u0405am", "u-z-older")]
    assert claim_holder(firestore, Username("Sam").normalized) == "u-z-older"


def test_renaming_an_account_with_an_old_claim_never_frees_another_accounts_name(
    firestore: Any,
) -> None:
    stored_under_the_old_rule(firestore, "u-alice", "alice", age=0)
    stored_under_the_old_rule(firestore, "u-alıce", "al\u0131ce", age=1)
    users = FirestoreUserRepository(firestore, write_staged=write_staged)
    users.update("u-alıce", lambda u: u.edited({"username": Username("bob")}, T0))
    assert claim_holder(firestore, "alice") == "u-alice"
    assert claim_holder(firestore, "bob") == "u-alıce"


def stored_with_a_folded_address(firestore: Any, user_id: str, address: str, age: int) -> None:
    """A user whose address claim was keyed, as before, by folding the whole address."""
    now = T0 + timedelta(days=age)
    user = User.register(
        admitted=ALLOWED,
        id=user_id,
        username=Username(user_id),
        email=Email(address),
        password_hash="h",
        now=now,
    )
    doc = {**user_to_doc(user), "email_normalized": fold(address)}
    firestore.collection("users").document(user_id).set(doc)
    firestore.collection("usernames").document(claim_id(Username(user_id).normalized)).set(
        {"user_id": user_id, "kind": "usernames"}
    )
    firestore.collection("emails").document(claim_id(fold(address))).set(
        {"user_id": user_id, "kind": "emails"}
    )


def address_holder(firestore: Any, key: str) -> str | None:
    snap = firestore.collection("emails").document(claim_id(key)).get()
    return (snap.to_dict() or {}).get("user_id") if snap.exists else None


def test_address_claims_move_to_their_a_label_and_look_alikes_are_listed(firestore: Any) -> None:
    stored_with_a_folded_address(firestore, "u-buch", "ana@Bücher.example", age=0)
    stored_with_a_folded_address(firestore, "u-squat", "bob@glaß-x.net", age=1)
    users = FirestoreUserRepository(firestore, write_staged=write_staged)
    # Before: the folded claim names another address than the one asked for, and is ignored.
    assert users.find_by_login(login_key("bob@glass-x.net")) is None
    assert users.find_by_login(login_key("ana@bücher.example")) is None

    report = rekey_claims(firestore)

    assert report.addresses_moved == 2 and report.address_collisions == []
    assert address_holder(firestore, "ana@xn--bcher-kva.example") == "u-buch"
    assert address_holder(firestore, "bob@xn--gla-x-nqa.net") == "u-squat"
    assert address_holder(firestore, "bob@glass-x.net") is None  # free for its own holder
    assert report.look_alikes == [("u-squat", "bob@glaß-x.net", "bob@glass-x.net", "")]
    found = users.find_by_login(login_key("ana@BÜCHER.example"))
    assert found is not None and found.id == "u-buch"
    assert users.find_by_login(login_key("bob@glass-x.net")) is None
    again = rekey_claims(firestore)
    assert again.addresses_moved == 0 and len(again.look_alikes) == 1


def test_verified_domains_claims_are_stamped_with_what_they_read_like(firestore: Any) -> None:
    """Claims made before they held ``look_alike`` get it, the older look-alike claims go,
    and two orgs' domains that read alike are listed; a second run changes nothing
    (docs/decisions/0641-look-alike-domains-are-named-never-refused.md)."""
    claims = firestore.collection("verified_domains")
    for name, org_id in (("glass-x.net", "o1"), ("g1ass-x.net", "o2"), ("example.com", "o1")):
        claims.document(name).set({"org_id": org_id, "verified_at": T0})
    firestore.collection("verified_domain_look_alikes").document("k").set(
        {"org_id": "o1", "domains": ["glass-x.net"]}
    )
    report = claim_look_alikes(firestore)
    assert (report.stamped, report.dropped) == (3, 1)
    assert report.look_alikes == [("glass-x.net", "o1", "g1ass-x.net", "o2")]
    domains = FirestoreOrgDomains(firestore)
    found = [(c.domain, c.org_id) for c in domains.look_alikes(["glass-x.net"])]
    assert found == [("g1ass-x.net", "o2"), ("glass-x.net", "o1")]
    assert org_for_domain("glass-x.net", domains=domains) == "o1"
    again = claim_look_alikes(firestore)
    assert (again.stamped, again.dropped, len(again.look_alikes)) == (0, 0, 1)
    assert not list(firestore.collection("verified_domain_look_alikes").stream())
