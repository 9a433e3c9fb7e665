"""The OrgRoleRepository port (and the grants' escalation rule of OrgRepository), run against
the fakes and against Firestore (docs/decisions/0489-org-roles-with-permissions.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from threading import Barrier, Event, Thread
from typing import Any

import pytest

from application.orgs.ports import OrgRepository, OrgRoleRepository
from domain.errors import DomainError
from domain.orgs.orgs import Membership, Org, RoleSource, Slug
from domain.orgs.roles import Granter, RoleDefinition
from tests.fakes.org_roles import FakeOrgRoles
from tests.fakes.orgs import FakeOrgRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)
RACERS = 30


@dataclass(frozen=True)
class Ports:
    orgs: OrgRepository
    roles: OrgRoleRepository
    client: Any = None  # Firestore's, to read when each membership was last committed


@pytest.fixture(params=["fake", "firestore"])
def ports(request: pytest.FixtureRequest) -> Ports:
    if request.param == "fake":
        fake = FakeOrgRepository()
        return Ports(fake, FakeOrgRoles(fake))
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
    from infrastructure.firestore.orgs.roles import FirestoreOrgRoles

    client: Any = request.getfixturevalue("firestore")
    return Ports(FirestoreOrgRepository(client), FirestoreOrgRoles(client), client)


def created(ports: Ports) -> Org:
    org = Org.create(Slug("acme"), "Acme", NOW)
    ports.orgs.add(org, Membership(org.id, "owner", ("owner",), 1, NOW, NOW))
    return org


def define(ports: Ports, org: Org, role: str, *permissions: str) -> Org:
    definition = RoleDefinition(f"The {role}s", tuple(sorted(permissions)))
    return ports.roles.redefine(org.id, role, lambda o: o.with_role(role, definition, LATER), LATER)


def member(ports: Ports, org: Org, user_id: str) -> Membership:
    found = ports.orgs.membership(org.id, user_id)
    assert found is not None
    return found


def test_definitions_are_stored_and_members_hold_their_union(ports: Ports) -> None:
    org = created(ports)
    define(ports, org, "billing", "pay", "refund")
    stored = define(ports, org, "member", "read")
    assert ports.orgs.get(org.id) == stored
    assert stored.custom_roles == ("billing",)
    assert stored.definition("billing") == RoleDefinition("The billings", ("pay", "refund"))
    joined = ports.orgs.add_member(
        org.id, "u1", ("member", "billing"), LATER, granter=Granter.operator()
    )
    assert joined.permissions == ("pay", "read", "refund")
    assert member(ports, org, "u1") == joined
    _, after = ports.orgs.change_roles(
        org.id, "u1", ("billing",), LATER, granter=Granter.operator()
    )
    assert after.permissions == ("pay", "refund") == member(ports, org, "u1").permissions
    assert member(ports, org, "owner").permissions == ()
    assert ports.roles.holders(org.id, ["billing", "member", "admin"]) == {
        "billing": 1,
        "member": 0,
        "admin": 0,
    }


def test_an_edit_moves_every_holders_permissions_and_version(ports: Ports) -> None:
    org = created(ports)
    define(ports, org, "billing", "pay")
    for i in range(3):
        ports.orgs.add_member(
            org.id, f"u{i}", ("billing",) if i else ("member",), LATER, granter=Granter.operator()
        )
    before = {i: member(ports, org, f"u{i}") for i in range(3)}
    define(ports, org, "billing", "pay", "refund")
    for i in (1, 2):
        after = member(ports, org, f"u{i}")
        assert after.permissions == ("pay", "refund")
        assert after.version != before[i].version
    assert member(ports, org, "u0") == before[0]  # holds no billing: untouched


def test_a_grant_needs_the_granters_permissions_as_the_commit_reads_them(ports: Ports) -> None:
    org = created(ports)
    define(ports, org, "billing", "pay")
    ports.orgs.add_member(org.id, "admin", ("admin",), LATER, granter=Granter.operator())
    ports.orgs.add_member(org.id, "u1", ("member",), LATER, granter=Granter.operator())
    with pytest.raises(DomainError) as refused:
        ports.orgs.change_roles(org.id, "u1", ("billing",), LATER, granter=Granter.person("admin"))
    assert refused.value.code == "permission_escalation"
    ports.orgs.change_roles(
        org.id, "u1", ("billing",), LATER, granter=Granter.person("owner")
    )  # every right
    # keeping a role one could not give is no grant
    ports.orgs.change_roles(
        org.id, "u1", ("billing", "member"), LATER, granter=Granter.person("admin")
    )
    assert member(ports, org, "u1").roles == ("billing", "member")


def test_a_granter_demoted_to_member_gives_no_admin(ports: Ports) -> None:
    """firegate's rights of ``admin`` count as its power: a granter of any kind whose
    maker is a plain member now, as the commit reads them, gives no ``admin``
    (docs/decisions/0640-a-role-is-given-with-its-whole-power.md)."""
    org = created(ports)
    operator = Granter.operator()
    ports.orgs.add_member(org.id, "maker", ("admin",), LATER, granter=operator)
    ports.orgs.add_member(org.id, "u1", ("member",), LATER, granter=operator)
    ports.orgs.change_roles(org.id, "u1", ("admin",), LATER, granter=Granter.person("maker"))
    ports.orgs.change_roles(org.id, "u1", ("member",), LATER, granter=Granter.person("maker"))
    ports.orgs.change_roles(org.id, "maker", ("member",), LATER, granter=Granter.person("owner"))
    makers = (Granter.person, Granter.invitation, Granter.scim, Granter.sso)
    for i, granter in enumerate(g("maker") for g in makers):
        source = RoleSource.SCIM if granter.kind.value == "scim" else RoleSource.HAND
        with pytest.raises(DomainError) as refused:
            ports.orgs.change_roles(org.id, "u1", ("admin",), LATER, granter=granter, source=source)
        assert refused.value.code == "permission_escalation"
        with pytest.raises(DomainError) as joining:
            ports.orgs.add_member(org.id, f"v{i}", ("admin",), LATER, granter=granter)
        assert joining.value.code == "permission_escalation"
        assert ports.orgs.membership(org.id, f"v{i}") is None
    assert member(ports, org, "u1").roles == ("member",)


def test_thirty_grants_racing_the_granters_demotion_leave_no_escalation(ports: Ports) -> None:
    org = created(ports)
    define(ports, org, "billing", "pay")
    define(ports, org, "payer", "pay")
    ports.orgs.add_member(org.id, "granter", ("admin", "payer"), LATER, granter=Granter.operator())
    for i in range(1, RACERS):
        ports.orgs.add_member(org.id, f"u{i}", ("member",), LATER, granter=Granter.operator())
    barrier = Barrier(RACERS)

    def act(i: int) -> str:
        barrier.wait()
        try:
            if i == 0:
                ports.orgs.change_roles(
                    org.id, "granter", ("admin",), LATER, granter=Granter.person("owner")
                )
                return "demoted"
            ports.orgs.change_roles(
                org.id, f"u{i}", ("billing",), LATER, granter=Granter.person("granter")
            )
        except DomainError as refused:
            return refused.code
        return "granted"

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(act, range(RACERS)))
    assert results[0] == "demoted"
    assert set(results[1:]) <= {"granted", "permission_escalation"}
    holders = [m for m in ports.orgs.members_page(org.id, None, 50) if "billing" in m.roles]
    assert len(holders) == results.count("granted")
    assert member(ports, org, "granter").permissions == ()
    for i, outcome in enumerate(results[1:], start=1):
        assert ("billing" in member(ports, org, f"u{i}").roles) == (outcome == "granted")
    if ports.client is not None:  # every grant committed before the demotion did
        from infrastructure.firestore.orgs.membership_writes import member_ref

        def committed(user_id: str) -> datetime:
            snap = member_ref(ports.client, org.id, user_id).get()
            return snap.update_time  # type: ignore[no-any-return]

        demoted = committed("granter")
        assert all(committed(m.user_id) < demoted for m in holders)


def test_thirty_edits_of_a_role_leave_each_holder_with_the_last(ports: Ports) -> None:
    org = created(ports)
    define(ports, org, "billing", "pay")
    for i in range(5):
        ports.orgs.add_member(
            org.id, f"u{i}", ("billing", "member"), LATER, granter=Granter.operator()
        )
    barrier = Barrier(RACERS)

    def act(i: int) -> str:
        barrier.wait()
        if i % 3 == 0:  # grants and demotions of holders meanwhile
            ports.orgs.change_roles(
                org.id,
                f"u{i % 5}",
                ("billing",) if i % 2 else ("member",),
                LATER,
                granter=Granter.operator(),
            )
            return "changed"
        define(ports, org, "billing", *(f"p{j}" for j in range(i % 7 + 1)))
        return "defined"

    with ThreadPoolExecutor(RACERS) as pool:
        list(pool.map(act, range(RACERS)))
    final = ports.orgs.get(org.id)
    assert final is not None
    for held in ports.orgs.members_page(org.id, None, 50):
        assert held.permissions == final.permissions_of(held.roles), held.user_id


def test_a_read_of_an_org_being_saved_never_pairs_two_saves(firestore: Any) -> None:
    """An org is two documents saved in one commit, and the emulator's read of both is not
    atomic to that commit: the read a write is guarded by never pairs one save's document with
    another's definitions (it is read again), or an edit of a role could rewrite its holders
    with the definitions it replaced (docs/decisions/0491-role-definitions-apart.md)."""
    from infrastructure.firestore.orgs.documents import org_from_doc, org_snapshot, org_writes
    from infrastructure.firestore.orgs.membership_writes import ORGS
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
    from infrastructure.firestore.orgs.roles import FirestoreOrgRoles
    from infrastructure.firestore.reads import Stale

    ports = Ports(FirestoreOrgRepository(firestore), FirestoreOrgRoles(firestore))
    org = created(ports)
    ref = firestore.collection(ORGS).document(org.id)
    saving = Event()

    def save() -> None:
        n = 0
        while not saving.is_set():
            n += 1
            defined = RoleDefinition("", (f"p{n}",))
            saved = replace(org, name=f"v{n}").with_role("billing", defined, LATER)
            batch = firestore.batch()
            org_writes(batch, ref, saved, None)
            batch.commit()

    saver = Thread(target=save)
    saver.start()
    paired, reread = [], 0
    try:
        for _ in range(600):
            try:
                _, data = org_snapshot(firestore, ref)
            except Stale:
                reread += 1
                continue
            assert data is not None
            seen = org_from_doc(org.id, data)
            if seen.name != "Acme":
                paired.append((seen.name[1:], seen.permissions_of(("billing",))))
    finally:
        saving.set()
        saver.join()
    assert paired  # the saves were seen
    assert [p for p in paired if p[1] != (f"p{p[0]}",)] == []


def test_an_edit_of_a_role_held_past_one_commit_reaches_every_holder(firestore: Any) -> None:
    from infrastructure.firestore.orgs.documents import member_to_doc
    from infrastructure.firestore.orgs.membership_writes import member_ref
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
    from infrastructure.firestore.orgs.roles import HOLDERS_PAGE, FirestoreOrgRoles

    ports = Ports(FirestoreOrgRepository(firestore), FirestoreOrgRoles(firestore))
    org = created(ports)
    define(ports, org, "billing", "pay")
    holders = HOLDERS_PAGE * 2 + 3
    for start in range(0, holders, 400):  # stored as a membership change would store them
        batch = firestore.batch()
        for i in range(start, min(start + 400, holders)):
            held = Membership(org.id, f"u{i:04}", ("billing",), 7, NOW, NOW, permissions=("pay",))
            batch.set(member_ref(firestore, org.id, held.user_id), member_to_doc(held))
        batch.commit()
    define(ports, org, "billing", "pay", "refund")
    members = ports.orgs.members_page(org.id, None, holders + 10)
    rewritten = [m for m in members if m.user_id != "owner"]
    assert len(rewritten) == holders
    assert {m.permissions for m in rewritten} == {("pay", "refund")}
    assert all(m.version != 7 for m in rewritten)


def test_definitions_are_kept_off_the_document_each_request_reads(firestore: Any) -> None:
    """The org's document, which every request acting in the org reads, holds no roles'
    definitions; every read of the org as a whole finds them (docs/decisions/
    0491-role-definitions-apart.md)."""
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
    from infrastructure.firestore.orgs.roles import FirestoreOrgRoles

    ports = Ports(FirestoreOrgRepository(firestore), FirestoreOrgRoles(firestore))
    org = created(ports)
    define(ports, org, "billing", "pay", "refund")
    ref = firestore.collection("orgs").document(org.id)
    assert "role_definitions" not in (ref.get().to_dict() or {})
    stored = ref.collection("definitions").document("roles").get().to_dict() or {}
    assert stored["role_definitions"]["billing"]["permissions"] == ["pay", "refund"]
    billing = RoleDefinition("The billings", ("pay", "refund"))
    found = ports.orgs.get(org.id)
    assert found is not None and found.roles == {"billing": billing}
    assert [o.roles for o in ports.orgs.list_page(None, 10)] == [{"billing": billing}]
    assert [o.roles for o, _ in ports.orgs.memberships_of("owner", 10)] == [{"billing": billing}]
    renamed = ports.orgs.update(org.id, lambda o: replace(o, name="Acme Two", updated_at=LATER))
    assert renamed.roles == {"billing": billing}
    again = ports.orgs.get(org.id)
    assert again is not None and again.roles == {"billing": billing}


def test_definitions_an_org_document_holds_are_read_and_moved_at_its_next_save(
    firestore: Any,
) -> None:
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
    from infrastructure.firestore.orgs.roles import FirestoreOrgRoles

    ports = Ports(FirestoreOrgRepository(firestore), FirestoreOrgRoles(firestore))
    org = created(ports)
    ref = firestore.collection("orgs").document(org.id)
    held = {"billing": {"description": "Pays", "permissions": ["pay"]}}
    ref.update({"custom_roles": ["billing"], "role_definitions": held})
    found = ports.orgs.get(org.id)
    assert found is not None and found.permissions_of(["billing"]) == ("pay",)
    define(ports, org, "audit", "read")
    assert "role_definitions" not in (ref.get().to_dict() or {})
    stored = ref.collection("definitions").document("roles").get().to_dict() or {}
    assert sorted(stored["role_definitions"]) == ["audit", "billing"]
    ports.orgs.mark_deleted(org.id, LATER)
    ports.orgs.purge(org.id, 100)
    assert not ref.collection("definitions").document("roles").get().exists


def test_an_org_added_with_roles_keeps_them(ports: Ports) -> None:
    pay = RoleDefinition("Pays", ("pay",))
    org = Org.create(Slug("acme"), "Acme", NOW).with_role("billing", pay, NOW)
    ports.orgs.add(org, Membership(org.id, "owner", ("owner",), 1, NOW, NOW))
    found = ports.orgs.get(org.id)
    assert found is not None and found.roles == {"billing": pay}


def test_a_join_is_checked_against_its_granter_as_the_commit_reads_them(ports: Ports) -> None:
    """docs/decisions/0508-roles-change-in-one-place.md"""
    org = created(ports)
    define(ports, org, "billing", "pay")
    operator = Granter.operator()
    ports.orgs.add_member(org.id, "admin", ("admin",), LATER, granter=operator)
    for i, granter in enumerate(
        (
            Granter.invitation("admin"),
            Granter.invitation("gone"),  # no longer a member
            Granter.scim("admin"),
            Granter.sso(None),  # no one known to have set the mapping: a member's rights
            Granter.domain(),
        )
    ):
        with pytest.raises(DomainError) as refused:
            ports.orgs.add_member(org.id, f"u{i}", ("billing",), LATER, granter=granter)
        assert refused.value.code == "permission_escalation"
        assert ports.orgs.membership(org.id, f"u{i}") is None
        # joining as a plain member gives nothing beyond what any membership holds
        joined = ports.orgs.add_member(org.id, f"u{i}", ("member",), LATER, granter=granter)
        assert joined.roles == ("member",)
    given = ports.orgs.add_member(
        org.id, "v1", ("billing",), LATER, granter=Granter.invitation("owner")
    )
    assert given.permissions == ("pay",)
    ports.orgs.change_roles(
        org.id, "v1", ("billing",), LATER, granter=Granter.scim("owner"), source=RoleSource.SCIM
    )
    # taking a role away grants nothing, whoever the granter
    _, after = ports.orgs.change_roles(
        org.id, "v1", (), LATER, granter=Granter.scim("gone"), source=RoleSource.SCIM
    )
    assert after.scim_roles == () and after.permissions == ("pay",)  # billing by hand stays


def test_thirty_joins_racing_the_inviters_demotion_leave_no_escalation(ports: Ports) -> None:
    org = created(ports)
    define(ports, org, "billing", "pay")
    define(ports, org, "payer", "pay")
    operator = Granter.operator()
    ports.orgs.add_member(org.id, "inviter", ("admin", "payer"), LATER, granter=operator)
    barrier = Barrier(RACERS)

    def act(i: int) -> str:
        barrier.wait()
        try:
            if i == 0:
                ports.orgs.change_roles(
                    org.id, "inviter", ("admin",), LATER, granter=Granter.person("owner")
                )
                return "demoted"
            ports.orgs.add_member(
                org.id, f"u{i}", ("billing",), LATER, granter=Granter.invitation("inviter")
            )
        except DomainError as refused:
            return refused.code
        return "joined"

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(act, range(RACERS)))
    assert results[0] == "demoted"
    assert set(results[1:]) <= {"joined", "permission_escalation"}
    for i, outcome in enumerate(results[1:], start=1):
        found = ports.orgs.membership(org.id, f"u{i}")
        assert (found is not None) == (outcome == "joined")
    if ports.client is not None:  # every join committed before the demotion did
        from infrastructure.firestore.orgs.membership_writes import member_ref

        def committed(user_id: str) -> datetime:
            snap = member_ref(ports.client, org.id, user_id).get()
            return snap.update_time  # type: ignore[no-any-return]

        demoted = committed("inviter")
        joined = [f"u{i}" for i, r in enumerate(results) if r == "joined"]
        assert all(committed(user_id) < demoted for user_id in joined)
