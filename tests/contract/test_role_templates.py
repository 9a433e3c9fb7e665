"""The RoleTemplateRepository port, run against the fakes and against Firestore: templates read
with every org, their holders' permissions swept in every org, a held one kept
(docs/decisions/0581-role-templates-read-with-every-org.md,
docs/decisions/0582-a-held-template-stays.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any

import pytest

from application.orgs.ports import OrgRepository, RoleTemplateRepository
from domain.errors import DomainError
from domain.orgs.orgs import Membership, Org, Slug
from domain.orgs.roles import Granter, RoleDefinition, with_template
from tests.fakes.org_roles import FakeRoleTemplates
from tests.fakes.orgs import FakeOrgRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)
RACERS = 30


@dataclass(frozen=True)
class Ports:
    orgs: OrgRepository
    templates: RoleTemplateRepository


@pytest.fixture(params=["fake", "firestore"])
def ports(request: pytest.FixtureRequest) -> Ports:
    if request.param == "fake":
        fake = FakeOrgRepository()
        return Ports(fake, FakeRoleTemplates(fake))
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
    from infrastructure.firestore.orgs.templates import FirestoreRoleTemplates

    client: Any = request.getfixturevalue("firestore")
    return Ports(FirestoreOrgRepository(client), FirestoreRoleTemplates(client))


def created(ports: Ports, slug: str) -> Org:
    org = Org.create(Slug(slug), slug.title(), NOW)
    ports.orgs.add(org, Membership(org.id, f"{slug}-owner", ("owner",), 1, NOW, NOW))
    return org


def define(ports: Ports, role: str, *permissions: str) -> None:
    definition = RoleDefinition(f"The {role}s", tuple(sorted(permissions)))
    ports.templates.define(role, lambda t: with_template(t, role, definition), LATER)


def member(ports: Ports, org: Org, user_id: str) -> Membership:
    found = ports.orgs.membership(org.id, user_id)
    assert found is not None
    return found


def test_a_template_is_read_with_every_org_and_an_edit_reaches_every_holder(
    ports: Ports,
) -> None:
    acme, zeta = created(ports, "acme"), created(ports, "zeta")
    define(ports, "billing", "pay")
    assert ports.templates.templates() == {"billing": RoleDefinition("The billings", ("pay",))}
    for org in (acme, zeta):
        read = ports.orgs.get(org.id)
        assert read is not None and read.role_names()[-1] == "billing"
        joined = ports.orgs.add_member(
            org.id, "u1", ("member", "billing"), LATER, granter=Granter.operator()
        )
        assert joined.permissions == ("pay",)
    ports.orgs.add_member(acme.id, "u2", ("member",), LATER, granter=Granter.operator())
    before = {org.id: member(ports, org, "u1") for org in (acme, zeta)}
    untouched = member(ports, acme, "u2")
    define(ports, "billing", "pay", "refund")
    for org in (acme, zeta):
        after = member(ports, org, "u1")
        assert after.permissions == ("pay", "refund")
        assert after.version != before[org.id].version
    assert member(ports, acme, "u2") == untouched  # holds no template: untouched
    assert ports.templates.holders(["billing", "member"]) == {"billing": 2, "member": 3}
    listed = ports.orgs.memberships_of("u1", 10)
    assert [o.templates["billing"].permissions for o, _ in listed] == [("pay", "refund")] * 2


def test_a_held_template_stays_and_an_unheld_one_goes(ports: Ports) -> None:
    acme = created(ports, "acme")
    define(ports, "billing", "pay")
    ports.orgs.add_member(acme.id, "u1", ("billing",), LATER, granter=Granter.operator())
    with pytest.raises(DomainError) as held:
        ports.templates.remove("billing", LATER)
    assert held.value.code == "role_in_use"
    ports.orgs.change_roles(acme.id, "u1", ("member",), LATER, granter=Granter.operator())
    ports.templates.remove("billing", LATER)
    assert ports.templates.templates() == {}
    with pytest.raises(DomainError) as unknown:
        ports.orgs.change_roles(acme.id, "u1", ("billing",), LATER, granter=Granter.operator())
    assert unknown.value.code == "unknown_role"
    with pytest.raises(DomainError) as gone:
        ports.templates.remove("billing", LATER)
    assert gone.value.code == "role_not_found"


def test_thirty_templates_defined_at_once_are_all_kept(ports: Ports) -> None:
    barrier = Barrier(RACERS)

    def act(i: int) -> None:
        barrier.wait()
        define(ports, f"t{i}", f"p{i}")

    with ThreadPoolExecutor(RACERS) as pool:
        list(pool.map(act, range(RACERS)))
    assert sorted(ports.templates.templates()) == sorted(f"t{i}" for i in range(RACERS))


def test_thirty_grants_racing_a_removal_leave_no_holder_of_a_removed_template(
    ports: Ports,
) -> None:
    acme = created(ports, "acme")
    define(ports, "billing", "pay")
    for i in range(1, RACERS):
        ports.orgs.add_member(acme.id, f"u{i}", ("member",), LATER, granter=Granter.operator())
    barrier = Barrier(RACERS)

    def act(i: int) -> str:
        barrier.wait()
        try:
            if i == 0:
                ports.templates.remove("billing", LATER)
                return "removed"
            ports.orgs.change_roles(
                acme.id, f"u{i}", ("billing",), LATER, granter=Granter.operator()
            )
        except DomainError as refused:
            return refused.code
        return "granted"

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(act, range(RACERS)))
    holders = [m for m in ports.orgs.members_page(acme.id, None, 50) if "billing" in m.roles]
    if results[0] == "removed":
        assert holders == [] and "billing" not in ports.templates.templates()
        assert set(results[1:]) <= {"unknown_role"}
    else:
        assert results[0] == "role_in_use" and holders
        assert all(m.permissions == ("pay",) for m in holders)
