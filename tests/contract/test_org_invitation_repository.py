"""The OrgInvitationRepository port, run against the fake and against Firestore: round trips,
one invitation per org and address, the lookup by token, and single use under 30 parallel
accepts (docs/decisions/0372-accepting-an-org-invitation.md)."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.orgs.ports import OrgInvitationRepository
from domain.accounts.credentials import Email
from domain.errors import Conflict, NotFound
from domain.link_tokens import InvalidToken
from domain.orgs.invitations import OrgInvitation
from tests.fakes.orgs import FakeOrgInvitationRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
WEEK = timedelta(days=7)
HASH = "a" * 64


@pytest.fixture(params=["fake", "firestore"])
def invitations(request: pytest.FixtureRequest) -> OrgInvitationRepository:
    if request.param == "fake":
        return FakeOrgInvitationRepository()
    from infrastructure.firestore.orgs.invitations import FirestoreOrgInvitationRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestoreOrgInvitationRepository(client)


def invite(org_id: str = "org1", email: str = "Ana@Example.com") -> OrgInvitation:
    return OrgInvitation.create(
        org_id, Email(email), ("member",), created_by="admin1", now=NOW, ttl=WEEK
    )


def sent(invitations: OrgInvitationRepository, invitation: OrgInvitation) -> OrgInvitation:
    invitations.put(invitation)
    return invitations.update(invitation.id, lambda it: it.with_token(HASH, invitation.created_at))


def test_round_trip(invitations: OrgInvitationRepository) -> None:
    invitation = invite()
    invitations.put(invitation)
    assert invitation.email == "ana@example.com"
    assert invitations.get(invitation.id) == invitation
    assert invitations.by_token(HASH) is None
    assert invitations.by_token("") is None  # a mail not out yet matches no token
    stored = sent(invitations, invitation)
    assert stored.token_hash == HASH
    assert invitations.by_token(HASH) == stored == invitations.get(invitation.id)
    assert invitations.get("missing") is None
    for odd in ("__proto__", "..", "a/b"):  # no document can have it: none, not a 400
        assert invitations.get(odd) is None, odd


def test_one_invitation_per_org_and_address(invitations: OrgInvitationRepository) -> None:
    first = sent(invitations, invite())
    again = replace_roles(invite(email="ana@EXAMPLE.com"), ("admin",))
    assert again.id == first.id
    invitations.put(again)
    assert invitations.get(first.id) == again
    assert invitations.by_token(HASH) is None  # the replaced link stops working
    other = invite(org_id="org2")
    invitations.put(other)
    assert {i.id for i in invitations.list_for("org1", 10)} == {first.id}
    assert [i.id for i in invitations.list_for("org2", 10)] == [other.id]


def replace_roles(invitation: OrgInvitation, roles: tuple[str, ...]) -> OrgInvitation:
    return dataclasses.replace(invitation, roles=roles)


def test_a_job_of_a_replaced_invitation_sets_no_token(
    invitations: OrgInvitationRepository,
) -> None:
    old = invite()
    invitations.put(dataclasses.replace(old, created_at=NOW + timedelta(seconds=1)))
    with pytest.raises(NotFound):
        invitations.update(old.id, lambda it: it.with_token(HASH, old.created_at))
    assert invitations.by_token(HASH) is None
    with pytest.raises(NotFound):
        invitations.update("missing", lambda it: it)


def test_delete(invitations: OrgInvitationRepository) -> None:
    invitation = sent(invitations, invite())
    assert invitations.delete(invitation.id)
    assert not invitations.delete(invitation.id)
    assert invitations.get(invitation.id) is None
    assert invitations.by_token(HASH) is None


def test_single_use(invitations: OrgInvitationRepository) -> None:
    invitation = sent(invitations, invite())
    accepted = invitations.update(invitation.id, lambda it: it.accepted("u1", HASH, NOW))
    assert (accepted.accepted_by, accepted.accepted_at) == ("u1", NOW)
    # The same person again: unchanged, and it proceeds.
    assert invitations.update(invitation.id, lambda it: it.accepted("u1", HASH, NOW)) == accepted
    with pytest.raises(Conflict) as used:
        invitations.update(invitation.id, lambda it: it.accepted("u2", HASH, NOW))
    assert used.value.code == "invitation_used"
    with pytest.raises(InvalidToken):
        invitations.update(invitation.id, lambda it: it.accepted("u1", "b" * 64, NOW))
    assert invitations.get(invitation.id) == accepted


def test_expired(invitations: OrgInvitationRepository) -> None:
    invitation = sent(invitations, invite())
    with pytest.raises(InvalidToken):
        invitations.update(invitation.id, lambda it: it.accepted("u1", HASH, NOW + WEEK))
    assert invitations.get(invitation.id) == invitation  # still pending


@pytest.mark.parametrize("people", [1, 30], ids=["same_person", "thirty_people"])
def test_thirty_parallel_accepts(invitations: OrgInvitationRepository, people: int) -> None:
    invitation = sent(invitations, invite())

    def accept(n: int) -> str:
        person = f"u{n % people}"
        try:
            return (
                invitations.update(
                    invitation.id, lambda it: it.accepted(person, HASH, NOW)
                ).accepted_by
                or ""
            )
        except Conflict as used:
            return used.code

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(accept, range(30)))
    stored = invitations.get(invitation.id)
    assert stored is not None and stored.accepted_by is not None
    winners = [answer for answer in answers if answer != "invitation_used"]
    assert set(winners) == {stored.accepted_by}
    assert len(winners) == (30 if people == 1 else 1)


def test_an_orgs_purge_deletes_its_invitations_only(invitations: OrgInvitationRepository) -> None:
    mine = [invite("org1", f"p{i}@example.com") for i in range(5)]
    other = invite("org2")
    for invitation in (*mine, other):
        invitations.put(invitation)
    invitations.delete_owned_by_org("org1", 2)  # in batches of 2
    invitations.delete_owned_by_org("org1", 2)  # again: nothing left, nothing to do
    assert invitations.list_for("org1", 10) == []
    assert invitations.list_for("org2", 10) == [other]


def test_the_invitations_to_an_address(invitations: OrgInvitationRepository) -> None:
    ana_here, ana_there, bo = invite(), invite(org_id="org2"), invite(email="bo@example.com")
    for invitation in (ana_here, ana_there, bo):
        invitations.put(invitation)
    found = invitations.to_address("ana@example.com", 10)
    assert {i.id for i in found} == {ana_here.id, ana_there.id}
    assert [i.id for i in invitations.to_address("bo@example.com", 10)] == [bo.id]
    assert len(invitations.to_address("ana@example.com", 1)) == 1
    assert invitations.to_address("cy@example.com", 10) == []
