"""The OrgRepository port, run against the fake and against Firestore."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from threading import Barrier, Event
from typing import Any

import pytest

from application.orgs.ports import OrgRepository
from domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from domain.orgs.orgs import DomainPolicy, Membership, Org, RoleSource, Slug
from domain.orgs.roles import Granter
from domain.signin.active_org import AgentMode, AgentPolicy
from tests.fakes.orgs import FakeOrgRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)


@pytest.fixture(params=["fake", "firestore"])
def orgs(request: pytest.FixtureRequest) -> OrgRepository:
    if request.param == "fake":
        return FakeOrgRepository()
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestoreOrgRepository(client)


def created(orgs: OrgRepository, slug: str = "acme", owner: str = "u-owner") -> Org:
    org = Org.create(Slug(slug), "Acme", NOW)
    orgs.add(org, Membership(org.id, owner, ("owner",), 1, NOW, NOW))
    return org


def test_an_org_comes_back_as_stored_by_id_and_by_slug(orgs: OrgRepository) -> None:
    org = created(orgs)
    assert orgs.get(org.id) == org
    assert orgs.find(org.id) == org
    assert orgs.find("acme") == org
    assert orgs.find("acrne") is None  # a look-alike names nothing
    assert orgs.find("other") is None
    # Names no document can have (Firestore refuses them: not "not found") name no org.
    for odd in ("__proto__", "a/b", "..", "x" * 2000):
        assert orgs.find(odd) is None, odd
        assert orgs.get(odd) is None, odd
    assert orgs.get("missing") is None
    assert orgs.membership(org.id, "u-owner") == Membership(
        org.id, "u-owner", ("owner",), 1, NOW, NOW
    )
    assert orgs.membership(org.id, "u-nobody") is None


def test_a_slug_or_its_look_alike_is_taken_once(orgs: OrgRepository) -> None:
    created(orgs, "acme")
    for slug in ("acme", "acrne"):
        with pytest.raises(Conflict) as taken:
            created(orgs, slug)
        assert taken.value.code == "slug_taken"


def test_an_update_moves_the_slug_claim(orgs: OrgRepository) -> None:
    org = created(orgs, "acme")
    created(orgs, "other-co")
    changed = orgs.update(
        org.id,
        lambda o: replace(
            o,
            slug=Slug("acme-two"),
            name="Acme Two",
            domain_policy=DomainPolicy.SUGGEST,
            require_mfa=True,
            custom_roles=("billing", "support:read"),
            require_sso=True,
            sso_break_glass=("owner-1", "owner-2"),
            agent_policy=AgentPolicy(AgentMode.ALLOW_LIST, ("agent.example", "mcp.example")),
            updated_at=LATER,
        ),
    )
    assert orgs.get(org.id) == changed
    assert orgs.find("acme-two") == changed
    assert orgs.find("acme") is None
    created(orgs, "acme")  # the old slug is free again
    with pytest.raises(Conflict) as taken:
        orgs.update(org.id, lambda o: replace(o, slug=Slug("other-co")))
    assert taken.value.code == "slug_taken"
    assert orgs.get(org.id) == changed
    with pytest.raises(NotFound):
        orgs.update("missing", lambda o: o)


def test_members_take_new_versions_and_page_by_user_id(orgs: OrgRepository) -> None:
    org = created(orgs)
    orgs.update(org.id, lambda o: replace(o, custom_roles=("billing",)))
    added = [
        orgs.add_member(org.id, f"u{i}", ("member",), LATER, granter=Granter.operator())
        for i in (3, 1, 2)
    ]
    assert len({1, *(m.version for m in added)}) == 4
    with pytest.raises(Conflict) as again:
        orgs.add_member(org.id, "u1", ("admin",), LATER, granter=Granter.operator())
    assert again.value.code == "already_member"
    first = orgs.members_page(org.id, None, 2)
    rest = orgs.members_page(org.id, first[-1].user_id, 10)
    assert [m.user_id for m in first + rest] == ["u-owner", "u1", "u2", "u3"]
    before, after = orgs.change_roles(
        org.id, "u1", ("admin", "billing"), LATER, granter=Granter.operator()
    )
    assert before.roles == ("member",) and after.roles == ("admin", "billing")
    assert after.version not in (1, added[1].version) and orgs.membership(org.id, "u1") == after
    removed = orgs.remove_member(org.id, "u1", LATER)
    assert removed == after and orgs.membership(org.id, "u1") is None
    readded = orgs.add_member(org.id, "u1", ("member",), LATER, granter=Granter.operator())
    assert readded.version not in (after.version, added[1].version)  # never an old one back
    with pytest.raises(NotFound):
        orgs.remove_member(org.id, "u-nobody", LATER)
    with pytest.raises(NotFound):
        orgs.change_roles(org.id, "u-nobody", ("member",), LATER, granter=Granter.operator())
    with pytest.raises(NotFound):
        orgs.add_member("missing", "u1", ("member",), LATER, granter=Granter.operator())


def test_a_membership_says_whether_the_org_made_the_account(orgs: OrgRepository) -> None:
    org = created(orgs)
    made = orgs.add_member(
        org.id, "u1", ("member",), LATER, managed=True, granter=Granter.operator()
    )
    assert made.managed and orgs.membership(org.id, "u1") == made
    joined = orgs.add_member(org.id, "u2", ("member",), LATER, granter=Granter.operator())
    assert not joined.managed and orgs.membership(org.id, "u2") == joined
    _, after = orgs.change_roles(org.id, "u1", ("admin",), LATER, granter=Granter.operator())
    assert after.managed and orgs.membership(org.id, "u1") == after  # kept as roles change
    assert [m.managed for m in orgs.members_page(org.id, None, 10)] == [False, True, False]


def test_the_last_owner_can_neither_leave_nor_be_demoted(orgs: OrgRepository) -> None:
    org = created(orgs)
    for change in (
        lambda: orgs.remove_member(org.id, "u-owner", LATER),
        lambda: orgs.change_roles(org.id, "u-owner", ("admin",), LATER, granter=Granter.operator()),
    ):
        with pytest.raises(Conflict) as refused:
            change()
        assert refused.value.code == "last_owner"
    orgs.add_member(org.id, "u2", ("owner",), LATER, granter=Granter.operator())
    orgs.change_roles(org.id, "u-owner", ("admin",), LATER, granter=Granter.operator())
    with pytest.raises(Conflict):
        orgs.remove_member(org.id, "u2", LATER)
    owners = orgs.get(org.id)
    assert owners is not None and owners.owners == 1


def test_the_last_owner_survives_parallel_demotions_and_removals(orgs: OrgRepository) -> None:
    org = created(orgs, owner="o0")
    for i in range(1, 6):
        orgs.add_member(org.id, f"o{i}", ("owner",), LATER, granter=Granter.operator())

    def change(i: int) -> str:
        try:
            if i % 2:
                orgs.change_roles(
                    org.id, f"o{i % 6}", ("member",), LATER, granter=Granter.operator()
                )
            else:
                orgs.remove_member(org.id, f"o{i % 6}", LATER)
        except DomainError as refused:
            return refused.code
        return "done"

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(change, range(12)))
    assert set(outcomes) <= {"done", "last_owner", "member_not_found"}
    members = orgs.members_page(org.id, None, 10)
    owners = [m for m in members if m.owner]
    assert len(owners) == 1
    final = orgs.get(org.id)
    assert final is not None and final.owners == 1


def test_my_orgs_are_the_live_ones_by_slug(orgs: OrgRepository) -> None:
    zeta = created(orgs, "zeta", owner="u1")
    alpha = created(orgs, "alpha", owner="u2")
    mine = orgs.add_member(alpha.id, "u1", ("member",), LATER, granter=Granter.operator())
    created(orgs, "other", owner="u2")
    assert [(o.slug.value, m.roles) for o, m in orgs.memberships_of("u1", 10)] == [
        ("alpha", ("member",)),
        ("zeta", ("owner",)),
    ]
    assert orgs.memberships_of("u1", 1) == [(orgs.get(alpha.id), mine)]
    orgs.mark_deleted(zeta.id, LATER)
    assert [o.slug.value for o, _ in orgs.memberships_of("u1", 10)] == ["alpha"]
    assert orgs.memberships_of("nobody", 10) == []


def test_a_deleted_org_is_gone_at_once_and_purged_later(orgs: OrgRepository) -> None:
    org = created(orgs)
    for i in range(5):
        orgs.add_member(org.id, f"u{i}", ("member",), LATER, granter=Granter.operator())
    orgs.purge(org.id, 2)  # a live org is not purged
    assert orgs.membership(org.id, "u1") is not None
    assert orgs.mark_deleted(org.id, LATER) == org
    assert orgs.get(org.id) is None and orgs.find("acme") is None
    assert orgs.membership(org.id, "u1") is None
    with pytest.raises(NotFound):
        orgs.mark_deleted(org.id, LATER)
    with pytest.raises(NotFound):
        orgs.add_member(org.id, "u9", ("member",), LATER, granter=Granter.operator())
    again = created(orgs, "acme")  # the slug is free at once
    assert orgs.list_page(None, 10) == [again]
    orgs.purge(org.id, 2)
    assert orgs.members_page(org.id, None, 10) == []
    assert orgs.find("acme") == again


def test_a_custom_role_a_member_holds_stays_until_taken_from_them(orgs: OrgRepository) -> None:
    org = created(orgs)
    roles = tuple(f"r{i}" for i in range(40))  # more than one array_contains_any holds
    orgs.update(org.id, lambda o: replace(o, custom_roles=roles))
    orgs.add_member(org.id, "u1", ("member", "r35"), LATER, granter=Granter.operator())
    with pytest.raises(Conflict) as held:
        orgs.update(org.id, lambda o: replace(o, custom_roles=("r0",)))
    assert held.value.code == "custom_role_in_use" and "r35" in str(held.value)
    orgs.change_roles(org.id, "u1", ("member",), LATER, granter=Granter.operator())
    fewer = orgs.update(org.id, lambda o: replace(o, custom_roles=("r0",)))
    assert fewer.custom_roles == ("r0",)
    for change in (
        lambda: orgs.change_roles(org.id, "u1", ("r35",), LATER, granter=Granter.operator()),
        lambda: orgs.add_member(org.id, "u2", ("r1",), LATER, granter=Granter.operator()),
    ):
        with pytest.raises(InvalidInput) as unknown:
            change()
        assert unknown.value.code == "unknown_role"


def test_the_operators_list_pages_live_orgs_by_id(orgs: OrgRepository) -> None:
    made = sorted((created(orgs, f"org-{i}") for i in range(4)), key=lambda o: o.id)
    orgs.mark_deleted(made[1].id, LATER)
    first = orgs.list_page(None, 2)
    rest = orgs.list_page(first[-1].id, 10)
    assert first + rest == [made[0], made[2], made[3]]


def test_a_check_sees_the_membership_the_commit_replaces(orgs: OrgRepository) -> None:
    org = created(orgs)
    orgs.add_member(org.id, "u1", ("member",), LATER, granter=Granter.operator())
    orgs.change_roles(
        org.id, "u1", ("owner",), LATER, granter=Granter.operator()
    )  # meanwhile, by someone else

    def not_an_owner(before: Membership) -> None:
        if before.owner:
            raise PermissionDenied("an owner", code="org_permission_denied")

    for change in (
        lambda: orgs.change_roles(
            org.id, "u1", ("member",), LATER, check=not_an_owner, granter=Granter.operator()
        ),
        lambda: orgs.remove_member(org.id, "u1", LATER, check=not_an_owner),
    ):
        with pytest.raises(PermissionDenied):
            change()
    member = orgs.membership(org.id, "u1")
    assert member is not None and member.roles == ("owner",)


def test_an_additions_check_sees_the_org_its_commit_finds(orgs: OrgRepository) -> None:
    org = created(orgs)
    orgs.update(org.id, lambda it: replace(it, domain_policy=DomainPolicy.SUGGEST))
    seen: list[DomainPolicy] = []

    def open_only(current: Org) -> None:
        seen.append(current.domain_policy)
        if current.domain_policy is DomainPolicy.NONE:
            raise NotFound("No such organization.", code="org_not_found")

    orgs.add_member(org.id, "u1", ("member",), LATER, check=open_only, granter=Granter.operator())
    orgs.update(org.id, lambda it: replace(it, domain_policy=DomainPolicy.NONE))  # meanwhile
    with pytest.raises(NotFound):
        orgs.add_member(
            org.id, "u2", ("member",), LATER, check=open_only, granter=Granter.operator()
        )
    assert seen == [DomainPolicy.SUGGEST, DomainPolicy.NONE]
    assert orgs.membership(org.id, "u2") is None


def test_a_deletions_check_sees_the_org_its_commit_finds(orgs: OrgRepository) -> None:
    org = created(orgs)

    def alone(current: Org) -> None:
        if [m.user_id for m in orgs.members_page(current.id, None, 2)] != ["u-owner"]:
            raise Conflict("joined meanwhile", code="last_owner")

    orgs.add_member(
        org.id, "u1", ("member",), LATER, granter=Granter.operator()
    )  # after the caller read the org
    with pytest.raises(Conflict):
        orgs.mark_deleted(org.id, LATER, check=alone)
    assert orgs.get(org.id) is not None
    orgs.remove_member(org.id, "u1", LATER)
    orgs.mark_deleted(org.id, LATER, check=lambda current: None)
    assert orgs.get(org.id) is None


def test_each_source_gives_its_own_roles_and_the_member_holds_them_all(
    orgs: OrgRepository,
) -> None:
    org = created(orgs)
    orgs.update(org.id, lambda o: replace(o, custom_roles=("billing",)))
    joined = orgs.add_member(
        org.id, "u1", ("admin",), LATER, source=RoleSource.SSO, granter=Granter.operator()
    )
    assert (joined.granted, joined.sso_roles, joined.roles) == ((), ("admin",), ("admin",))
    assert orgs.membership(org.id, "u1") == joined
    orgs.change_roles(
        org.id, "u1", ("billing",), LATER, source=RoleSource.SCIM, granter=Granter.operator()
    )
    _, after = orgs.change_roles(org.id, "u1", ("member",), LATER, granter=Granter.operator())
    assert (after.granted, after.sso_roles, after.scim_roles) == (
        ("member",),
        ("admin",),
        ("billing",),
    )
    assert after.roles == ("member", "admin", "billing")
    assert orgs.membership(org.id, "u1") == after
    # A source that gives nothing any more leaves the others' roles; none gives owner.
    orgs.change_roles(org.id, "u1", (), LATER, source=RoleSource.SSO, granter=Granter.operator())
    _, scim_none = orgs.change_roles(
        org.id, "u1", (), LATER, source=RoleSource.SCIM, granter=Granter.operator()
    )
    assert scim_none.roles == ("member",)
    with pytest.raises(InvalidInput) as owner:
        orgs.change_roles(
            org.id, "u1", ("owner",), LATER, source=RoleSource.SCIM, granter=Granter.operator()
        )
    assert owner.value.code == "unknown_role"
    # Held roles are what the custom role's removal sees, whoever gave it.
    orgs.change_roles(
        org.id, "u1", ("billing",), LATER, source=RoleSource.SSO, granter=Granter.operator()
    )
    with pytest.raises(Conflict) as held:
        orgs.update(org.id, lambda o: replace(o, custom_roles=()))
    assert held.value.code == "custom_role_in_use"


def test_thirty_parallel_changes_from_three_sources_lose_none(orgs: OrgRepository) -> None:
    org = created(orgs)
    orgs.add_member(org.id, "u1", ("member",), LATER, granter=Granter.operator())
    given = {
        RoleSource.HAND: ("owner",),
        RoleSource.SSO: ("admin",),
        RoleSource.SCIM: ("member",),
    }
    sources = list(given)

    def change(i: int) -> None:
        source = sources[i % 3]
        orgs.change_roles(
            org.id, "u1", given[source], LATER, source=source, granter=Granter.operator()
        )

    with ThreadPoolExecutor(30) as pool:
        list(pool.map(change, range(30)))
    member = orgs.membership(org.id, "u1")
    assert member is not None
    assert {s: member.given_by(s) for s in sources} == given
    final = orgs.get(org.id)
    assert final is not None and final.owners == 2


def test_a_membership_stored_before_the_sources_reads_as_given_by_hand(firestore: Any) -> None:
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository

    orgs = FirestoreOrgRepository(firestore)
    org = created(orgs)
    orgs.update(org.id, lambda o: replace(o, custom_roles=("billing",)))
    ref = firestore.collection("orgs").document(org.id).collection("members").document("u-old")
    ref.set(
        {
            "org_id": org.id,
            "user_id": "u-old",
            "roles": ["admin"],
            "version": 1,
            "joined_at": NOW,
            "updated_at": NOW,
        }
    )
    old = orgs.membership(org.id, "u-old")
    assert old is not None
    assert (old.granted, old.sso_roles, old.scim_roles, old.roles) == (
        ("admin",),
        (),
        (),
        ("admin",),
    )
    _, after = orgs.change_roles(
        org.id, "u-old", ("billing",), LATER, source=RoleSource.SCIM, granter=Granter.operator()
    )
    assert after.roles == ("admin", "billing") and after.granted == ("admin",)


def org_written_at(firestore: Any, org_id: str) -> Any:
    """When the org document was last written."""
    return firestore.collection("orgs").document(org_id).get().update_time


def test_an_ordinary_members_changes_write_no_org_document(firestore: Any) -> None:
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository

    orgs = FirestoreOrgRepository(firestore)
    org = created(orgs)
    orgs.update(org.id, lambda o: replace(o, custom_roles=("billing",)))
    written = org_written_at(firestore, org.id)
    joined = orgs.add_member(org.id, "u1", ("member",), LATER, granter=Granter.operator())
    _, admin = orgs.change_roles(org.id, "u1", ("admin",), LATER, granter=Granter.operator())
    orgs.add_member(org.id, "u2", ("member",), LATER, granter=Granter.operator())
    orgs.remove_member(org.id, "u2", LATER)
    orgs.remove_member(org.id, "u1", LATER)
    back = orgs.add_member(org.id, "u1", ("member",), LATER, granter=Granter.operator())
    assert org_written_at(firestore, org.id) == written
    # Each version new: a re-added member's old Firebase org_version never matches again.
    assert len({joined.version, admin.version, back.version}) == 3
    # Giving a custom role not held writes no org document either (its removal marks it
    # first); making an owner is ordered on the org document.
    orgs.change_roles(org.id, "u1", ("member", "billing"), LATER, granter=Granter.operator())
    orgs.add_member(org.id, "u3", ("billing",), LATER, granter=Granter.operator())
    assert org_written_at(firestore, org.id) == written
    orgs.change_roles(org.id, "u1", ("owner",), LATER, granter=Granter.operator())
    assert org_written_at(firestore, org.id) != written
    assert (orgs.get(org.id) or org).owners == 2


RACERS = 30


def test_thirty_joins_racing_the_orgs_deletion_leave_no_live_member(firestore: Any) -> None:
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository

    orgs = FirestoreOrgRepository(firestore)
    org = created(orgs)
    barrier = Barrier(RACERS)

    def act(i: int) -> str:
        barrier.wait()
        try:
            if i == RACERS // 2:
                orgs.mark_deleted(org.id, LATER)
                return "deleted"
            orgs.add_member(org.id, f"u{i}", ("member",), LATER, granter=Granter.operator())
        except NotFound:
            return "gone"
        return "joined"

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(act, range(RACERS)))
    assert results.count("deleted") == 1 and set(results) <= {"deleted", "joined", "gone"}
    joined = {f"u{i}" for i, result in enumerate(results) if result == "joined"}
    # Every join answered 201 committed before the tombstone, none answered 404 did ...
    ref = firestore.collection("orgs").document(org.id)
    tombstoned = ref.get().update_time
    members = list(ref.collection("members").stream())
    assert {m.id for m in members} == joined | {"u-owner"}
    assert all(m.create_time < tombstoned for m in members)
    assert all(orgs.membership(org.id, user_id) is None for user_id in joined)
    orgs.purge(org.id, 10)  # ... and the purge removes them all
    assert orgs.members_page(org.id, None, 50) == []


def test_thirty_grants_racing_a_custom_roles_removal_leave_none_holding_it(
    orgs: OrgRepository,
) -> None:
    org = created(orgs)
    orgs.update(org.id, lambda o: replace(o, custom_roles=("billing",)))
    for i in range(1, RACERS, 2):
        orgs.add_member(org.id, f"u{i}", ("member",), LATER, granter=Granter.operator())
    barrier = Barrier(RACERS)

    def act(i: int) -> str:
        barrier.wait()
        try:
            if i == 0:
                orgs.update(org.id, lambda o: replace(o, custom_roles=()))
                return "removed"
            if i % 2:  # a change of roles, or a join, that gives the custom role
                orgs.change_roles(
                    org.id, f"u{i}", ("member", "billing"), LATER, granter=Granter.operator()
                )
            else:
                orgs.add_member(org.id, f"u{i}", ("billing",), LATER, granter=Granter.operator())
        except (Conflict, InvalidInput) as refused:
            return refused.code
        return "granted"

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(act, range(RACERS)))
    assert set(results[1:]) <= {"granted", "unknown_role"}
    final = orgs.get(org.id)
    assert final is not None
    holders = [m for m in orgs.members_page(org.id, None, 50) if "billing" in m.roles]
    assert len(holders) == results.count("granted")
    if results[0] == "removed":
        assert final.custom_roles == () and holders == []
    else:
        assert results[0] == "custom_role_in_use" and final.custom_roles == ("billing",)
        assert holders


class HeldOpen:
    """A change's check that holds its transaction open, the org read, until the other side
    (a deletion, a removal) has committed, or 5 s: it commits meanwhile unless the read holds
    it back."""

    def __init__(self) -> None:
        self.reading, self.other_side = Event(), Event()

    def __call__(self, _: object) -> None:
        self.reading.set()
        self.other_side.wait(timeout=5)


def test_a_grant_held_open_across_a_custom_roles_removal_is_ordered_before_it(
    firestore: Any,
) -> None:
    """The grant's read of the org holds its commit against the removal's mark: the grant
    lands before the removal looks for holders (which then answers 409), or reads the mark
    (or the removal) and is refused; never a removed role held."""
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository

    orgs = FirestoreOrgRepository(firestore)
    org = created(orgs)
    orgs.update(org.id, lambda o: replace(o, custom_roles=("billing",)))
    orgs.add_member(org.id, "u1", ("member",), LATER, granter=Granter.operator())
    held = HeldOpen()

    def remove() -> str:
        held.reading.wait(timeout=60)
        try:
            orgs.update(org.id, lambda o: replace(o, custom_roles=()))
        except Conflict as held_role:
            return held_role.code
        finally:
            held.other_side.set()
        return "removed"

    with ThreadPoolExecutor(1) as pool:
        removal = pool.submit(remove)
        try:
            orgs.change_roles(
                org.id, "u1", ("member", "billing"), LATER, check=held, granter=Granter.operator()
            )
            refused = ""
        except InvalidInput as unknown:
            refused = unknown.code
        outcome = removal.result()
    granted = refused == ""
    assert refused in ("", "unknown_role")
    final, member = orgs.get(org.id), orgs.membership(org.id, "u1")
    assert final is not None and member is not None
    assert ("billing" in member.roles) == granted
    if granted:
        assert outcome == "custom_role_in_use" and final.custom_roles == ("billing",)
    else:
        assert outcome == "removed" and final.custom_roles == ()


def test_a_join_held_open_across_the_orgs_deletion_is_ordered_before_it(firestore: Any) -> None:
    """The join's read of the org holds its commit against the tombstone: the join lands
    before it (and the purge takes it), or reads the tombstone and is refused."""
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository

    orgs = FirestoreOrgRepository(firestore)
    org = created(orgs)
    held = HeldOpen()

    def delete() -> None:
        held.reading.wait(timeout=60)
        orgs.mark_deleted(org.id, LATER)
        held.other_side.set()

    with ThreadPoolExecutor(1) as pool:
        deletion = pool.submit(delete)
        try:
            orgs.add_member(
                org.id, "u1", ("member",), LATER, check=held, granter=Granter.operator()
            )
            joined = True
        except NotFound:
            joined = False
        deletion.result()
    ref = firestore.collection("orgs").document(org.id)
    tombstoned = ref.get().update_time
    members = list(ref.collection("members").stream())
    assert all(m.create_time < tombstoned for m in members)
    assert {m.id for m in members} == ({"u-owner", "u1"} if joined else {"u-owner"})
    orgs.purge(org.id, 10)
    assert orgs.members_page(org.id, None, 10) == []
