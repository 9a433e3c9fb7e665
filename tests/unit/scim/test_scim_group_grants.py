"""A SCIM group gives its role with the rights of whoever made the directory's token, as each
member's commit reads them: a group change that races its maker's demotion is stored, the
members' roles the commit refuses stay as they were, each refusal is recorded, and the answer
is a 403 ``permission_escalation`` (docs/reference/scim.md, "Groups";
docs/decisions/0509-a-refused-grant-of-a-directory-or-a-connection.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from application.ports import NO_WRITES, Audit, StagedWrites
from application.scim.groups import CreateGroup, DirectoryGroups, GroupFields
from domain.errors import PermissionDenied
from domain.orgs.orgs import Membership, Org, Slug
from domain.orgs.roles import Granter, RoleDefinition
from domain.scim.users import ScimUser
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock
from tests.fakes.orgs import FakeOrgRepository
from tests.fakes.scim import FakeScimGroups, FakeScimUsers

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, tzinfo=UTC)
PAY = RoleDefinition("", ("invoices:write",))


class DemotedMidway(FakeOrgRepository):
    """The token's maker (``maker``) made a plain admin between the group's check and its
    members' commits."""

    maker = "mia"

    def change_roles(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        **options: Any,
    ) -> tuple[Membership, Membership]:
        maker = self.members[org_id][self.maker]
        if user_id != self.maker and maker.roles != ("admin",):
            operator = Granter.operator()
            super().change_roles(org_id, self.maker, ("admin",), now, granter=operator)
        return super().change_roles(org_id, user_id, roles, now, staged, **options)


def test_a_group_racing_its_makers_demotion_gives_nothing_and_says_so() -> None:
    orgs = DemotedMidway()
    org = Org.create(Slug("acme"), "Acme", NOW)
    org = org.with_role("billing", PAY, NOW).with_role("payer", PAY, NOW)
    orgs.add(org, Membership(org.id, "olga", ("owner",), 1, NOW, NOW))
    operator = Granter.operator()
    orgs.add_member(org.id, "mia", ("admin", "payer"), NOW, granter=operator)
    users = FakeScimUsers(orgs=orgs)
    for user_id in ("u1", "u2"):
        orgs.add_member(org.id, user_id, ("member",), NOW, granter=operator)
        users.claim(ScimUser(org.id, user_id, f"{user_id}@acme.test", True, False, NOW, NOW, 1))
    groups, audit = FakeScimGroups(), RecordingAuditLog()
    directory = DirectoryGroups(
        groups=groups, users=users, orgs=orgs, clock=FakeClock(), audit=audit
    )
    as_the_token_sees_it = replace(org, roles={})  # its read of the org has no definitions
    fields = GroupFields("billing", ("u1", "u2"))

    with pytest.raises(PermissionDenied) as refused:
        directory.create(CreateGroup(as_the_token_sees_it, fields, by="mia"))

    assert refused.value.code == "permission_escalation"
    assert groups.count(org.id) == 1  # checked and stored while mia could give it
    for user_id in ("u1", "u2"):
        held = orgs.membership(org.id, user_id)
        assert held is not None and held.roles == ("member",) and held.permissions == ()
    failures = [e for e in audit.events if e.outcome == "failure"]
    assert [(e.event, e.user_id, e.actor_id, e.reason, e.via) for e in failures] == [
        (Audit.ORG_MEMBER_ROLES_CHANGED, user_id, "mia", "permission_escalation", "scim")
        for user_id in ("u1", "u2")
    ]
