"""The access decisions' read (``MemberPermissions``) over the fake org and user repositories:
a live org's membership of an enabled account, with the permissions it holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tests.fakes.accounts import FakeUserRepository
from tests.fakes.orgs import FakeOrgRepository


class FakeMemberPermissions:
    def __init__(self, orgs: FakeOrgRepository, users: FakeUserRepository) -> None:
        self.orgs, self.users = orgs, users
        self.reads = 0  # round trips

    def held(self, pairs: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], frozenset[str]]:
        self.reads += 1
        held: dict[tuple[str, str], frozenset[str]] = {}
        for org_id, user_id in pairs:
            with self.orgs.lock:
                live = org_id in self.orgs.orgs and org_id not in self.orgs.deleted
                member = self.orgs.members.get(org_id, {}).get(user_id)
            user = self.users.store.users.get(user_id)
            if not live or member is None or user is None:
                continue
            if user.disabled or user.deleted_at is not None:
                continue
            held[org_id, user_id] = frozenset(member.permissions)
        return held
