"""A fake of the org roles' port: the role definitions of a fake org repository's orgs and
their holders' permissions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from domain.errors import NotFound
from domain.orgs.orgs import Org, new_member_version, role_in_use_anywhere
from domain.orgs.roles import RoleDefinition
from tests.fakes.orgs import FakeOrgRepository


class FakeOrgRoles:
    """The role definitions of ``orgs``' orgs: an edit and its holders' permissions under
    its lock, as one commit."""

    def __init__(self, orgs: FakeOrgRepository) -> None:
        self.orgs = orgs

    def redefine(self, org_id: str, role: str, change: Callable[[Org], Org], now: datetime) -> Org:
        with self.orgs.lock:
            old = self.orgs.get(org_id)
            if old is None:
                raise NotFound("No such organization.", code="org_not_found")
            new = change(old)
            self.orgs.orgs[org_id] = new
            members = self.orgs.members.setdefault(org_id, {})
            for user_id, member in members.items():
                if role in member.roles:
                    moved = replace(member, version=new_member_version(), updated_at=now)
                    members[user_id] = moved.resolved_in(new)
            return new

    def holders(self, org_id: str, roles: Sequence[str]) -> dict[str, int]:
        with self.orgs.lock:
            held = [m.roles for m in self.orgs.members.get(org_id, {}).values()]
        return {role: sum(role in roles_ for roles_ in held) for role in roles}


class FakeRoleTemplates:
    """The deployment's role templates, kept by ``orgs`` (which reads them with every org):
    an edit and every holder's permissions in every org under its lock, as one commit."""

    def __init__(self, orgs: FakeOrgRepository) -> None:
        self.orgs = orgs

    def templates(self) -> dict[str, RoleDefinition]:
        with self.orgs.lock:
            return dict(self.orgs.templates)

    def define(
        self,
        role: str,
        change: Callable[[dict[str, RoleDefinition]], dict[str, RoleDefinition]],
        now: datetime,
    ) -> dict[str, RoleDefinition]:
        with self.orgs.lock:
            self.orgs.templates = change(dict(self.orgs.templates))
            for org_id, members in self.orgs.members.items():
                org = self.orgs.get(org_id)
                if org is None:
                    continue
                for user_id, member in members.items():
                    if role in member.roles and member.permissions != org.permissions_of(
                        member.roles
                    ):
                        moved = replace(member, version=new_member_version(), updated_at=now)
                        members[user_id] = moved.resolved_in(org)
            return dict(self.orgs.templates)

    def remove(self, role: str, now: datetime) -> None:
        with self.orgs.lock:
            if role not in self.orgs.templates:
                raise NotFound("No such role template.", code="role_not_found")
            if any(role in m.roles for ms in self.orgs.members.values() for m in ms.values()):
                raise role_in_use_anywhere(role)
            del self.orgs.templates[role]

    def holders(self, roles: Sequence[str]) -> dict[str, int]:
        with self.orgs.lock:
            held = [m.roles for ms in self.orgs.members.values() for m in ms.values()]
        return {role: sum(role in roles_ for roles_ in held) for role in roles}
