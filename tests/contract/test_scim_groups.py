"""The ScimGroups port against the fake and Firestore (the emulator): round trips, changes
at a version, removal, pages, counts and the keys of members and names, the org's purge
(docs/reference/scim.md, "Groups")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from application.scim.ports import ScimGroups
from domain.errors import Conflict, NotFound
from domain.ids import new_id
from domain.scim.groups import ScimGroup, member_key
from domain.scim.users import DISPLAY_NAME, equal_key
from tests.fakes.scim import FakeScimGroups

pytestmark = pytest.mark.contract
NOW = datetime(2026, 11, 26, 3, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def groups(request: pytest.FixtureRequest) -> ScimGroups:
    if request.param == "fake":
        return FakeScimGroups()
    from infrastructure.firestore.scim.groups import FirestoreScimGroups

    client: Any = request.getfixturevalue("firestore")
    return FirestoreScimGroups(client)


def group(name: str, *members: str, org_id: str = "org1") -> ScimGroup:
    return ScimGroup(org_id, new_id(), name, members, NOW, NOW, 1, document='{"x":1}')


def test_a_group_round_trips_and_changes_at_a_version(groups: ScimGroups) -> None:
    made = group("Admin", "u1", "u2")
    groups.add(made)
    assert groups.get("org1", made.group_id) == made
    assert groups.get("org2", made.group_id) is None
    changed = replace(made, members=("u2",), version=2)
    assert groups.replace(changed, 1) == changed
    with pytest.raises(Conflict):
        groups.replace(replace(changed, version=3), 1)
    with pytest.raises(NotFound):
        groups.replace(group("Nope"), 1)
    with pytest.raises(Conflict):
        groups.remove("org1", made.group_id, 1)
    assert groups.remove("org1", made.group_id, 2)
    assert not groups.remove("org1", made.group_id)


def test_pages_counts_keys_and_the_purge(groups: ScimGroups) -> None:
    made = [group(f"g{n}", *(["u1"] if n % 2 else [])) for n in range(4)]
    for g in (*made, group("g0", "u1", org_id="org2")):
        groups.add(g)
    in_order = sorted(made, key=lambda g: g.group_id)
    assert groups.count("org1") == 4
    assert groups.page("org1", 1, 2) == in_order[1:3]
    assert groups.matching("org1", [member_key("u1")], 10) == sorted(
        [made[1], made[3]], key=lambda g: g.group_id
    )
    assert groups.matching("org1", [equal_key(DISPLAY_NAME, "G2")], 10) == [made[2]]
    groups.delete_owned_by_org("org1", 3)
    assert groups.count("org1") == 0
    assert groups.count("org2") == 1
