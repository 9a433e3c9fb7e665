"""The ScimTokens port against the fake and Firestore (the emulator): round trips, the org
read with the token, the org's list newest first, one revocation of thirty at once, the
org's purge (docs/reference/scim.md, "Tokens")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any

import pytest

from application.orgs.ports import OrgRepository
from application.scim.ports import ScimTokens
from domain.ids import new_id
from domain.orgs.orgs import Membership, Org, Slug
from domain.orgs.roles import RoleDefinition
from domain.scim.tokens import ScimToken
from tests.fakes.orgs import FakeOrgRepository
from tests.fakes.scim import FakeScimTokens

pytestmark = pytest.mark.contract
NOW = datetime(2026, 11, 26, 3, 0, 0, 123000, tzinfo=UTC)
PARALLEL = 30


@dataclass
class Ports:
    tokens: ScimTokens
    orgs: OrgRepository


@pytest.fixture(params=["fake", "firestore"])
def ports(request: pytest.FixtureRequest) -> Ports:
    if request.param == "fake":
        orgs = FakeOrgRepository()
        return Ports(FakeScimTokens(orgs), orgs)
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
    from infrastructure.firestore.scim.tokens import FirestoreScimTokens

    client: Any = request.getfixturevalue("firestore")
    return Ports(FirestoreScimTokens(client), FirestoreOrgRepository(client))


def org(ports: Ports, slug: str) -> Org:
    made = Org.create(Slug(slug), slug.title(), NOW)
    ports.orgs.add(made, Membership(made.id, "owner1", ("owner",), 1, NOW, NOW))
    return made


def token(org_id: str, name: str = "Okta", at: datetime = NOW) -> tuple[ScimToken, str]:
    return ScimToken.issue(id=new_id(), org_id=org_id, name=name, created_by="owner1", now=at)


def test_a_token_round_trips_and_is_read_with_its_live_org(ports: Ports) -> None:
    acme = org(ports, "acme")
    made, _ = token(acme.id)
    ports.tokens.add(made)
    assert ports.tokens.get(made.id) == made
    assert ports.tokens.get("absent00000000000000") is None
    found, live = ports.tokens.load(acme.id, made.id)
    assert (found, live.id if live else None) == (made, acme.id)
    assert ports.tokens.load(acme.id, "absent00000000000000") == (None, acme)
    assert ports.tokens.load("absentorg00000000000", made.id) == (made, None)
    ports.orgs.mark_deleted(acme.id, NOW)
    assert ports.tokens.load(acme.id, made.id) == (made, None)  # a deleted org opens nothing


def test_the_orgs_list_is_newest_first_by_page(ports: Ports) -> None:
    acme, other = org(ports, "acme"), org(ports, "other")
    made = [token(acme.id, f"t{n}", NOW + timedelta(seconds=n))[0] for n in range(3)]
    for t in (*made, token(other.id)[0]):
        ports.tokens.add(t)
    newest = list(reversed(made))
    assert ports.tokens.list_page(acme.id, None, 10) == newest
    first = ports.tokens.list_page(acme.id, None, 2)
    assert first == newest[:2]
    assert ports.tokens.list_page(acme.id, (first[-1].created_at, first[-1].id), 2) == newest[2:]


def test_of_thirty_revocations_at_once_one_revokes(ports: Ports) -> None:
    made, _ = token(org(ports, "acme").id)
    ports.tokens.add(made)
    barrier = Barrier(PARALLEL)

    def revoke(_: int) -> bool:
        barrier.wait()
        return ports.tokens.remove(made.id)

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(revoke, range(PARALLEL)))
    assert results.count(True) == 1
    assert ports.tokens.get(made.id) is None


def test_the_orgs_purge_removes_its_tokens_only(ports: Ports) -> None:
    acme, other = org(ports, "acme"), org(ports, "other")
    mine = [token(acme.id, f"t{n}")[0] for n in range(3)]
    theirs, _ = token(other.id)
    for t in (*mine, theirs):
        ports.tokens.add(t)
    ports.tokens.delete_owned_by_org(acme.id, 2)
    ports.tokens.delete_owned_by_org(acme.id, 2)  # idempotent
    assert ports.tokens.list_page(acme.id, None, 10) == []
    assert ports.tokens.list_page(other.id, None, 10) == [theirs]


def test_the_org_is_read_without_its_roles_definitions(ports: Ports) -> None:
    """A SCIM request reads the org's document alone: its roles' definitions, which may be
    5,000 permissions, are none of its business."""
    pay = RoleDefinition("Pays", ("pay",))
    acme = Org.create(Slug("acme"), "Acme", NOW).with_role("billing", pay, NOW)
    ports.orgs.add(acme, Membership(acme.id, "owner1", ("owner",), 1, NOW, NOW))
    made, _ = token(acme.id)
    ports.tokens.add(made)
    _, live = ports.tokens.load(acme.id, made.id)
    assert live is not None and live.id == acme.id and live.roles == {}
    whole = ports.orgs.get(acme.id)
    assert whole is not None and whole.roles == {"billing": pay}
