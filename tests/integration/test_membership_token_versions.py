"""The memberships' copies of their account's token_version on the Firestore emulator
(infrastructure/firestore/orgs/token_versions.py, docs/reference/orgs.md): every membership
of the account is raised, never lowered, and no other account's is touched."""

from __future__ import annotations

from typing import Any

import pytest

from domain.ids import new_id
from infrastructure.firestore.orgs.token_versions import MembershipTokenVersions

pytestmark = pytest.mark.integration


def test_every_membership_of_the_account_holds_the_raised_version(firestore: Any) -> None:
    alice, bob, orgs = new_id(), new_id(), [new_id() for _ in range(3)]
    for org in orgs:
        firestore.document(f"orgs/{org}/members/{alice}").set({"org_id": org, "user_id": alice})
    firestore.document(f"orgs/{orgs[0]}/members/{bob}").set(
        {"org_id": orgs[0], "user_id": bob, "token_version": 5}
    )
    copies = MembershipTokenVersions(firestore)

    copies.hold(alice, 3)
    copies.hold(alice, 2)  # a move that lost a race to a later one: the later stays

    held = [
        firestore.document(f"orgs/{org}/members/{alice}").get().get("token_version") for org in orgs
    ]
    assert held == [3, 3, 3]
    assert firestore.document(f"orgs/{orgs[0]}/members/{bob}").get().get("token_version") == 5
