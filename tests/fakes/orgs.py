"""Fakes of the organizations' ports: the orgs, their slug claims and their members; the
invitations."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from application.ports import NO_WRITES, StagedWrites
from domain.accounts.credentials import username_key
from domain.errors import Conflict, NotFound
from domain.orgs.invitations import OrgInvitation
from domain.orgs.orgs import (
    Membership,
    Org,
    RoleSource,
    check_given_roles,
    checked_source_roles,
    is_slug_shaped,
    new_member_version,
    owners_after,
    removed_roles,
    role_in_use,
)
from domain.orgs.roles import Granter, RoleDefinition, added_roles, check_granted
from tests.fakes.kernel import InMemoryStore


def _gone() -> NotFound:
    return NotFound("No such organization.", code="org_not_found")


class FakeOrgRepository:
    """Orgs, slug claims and memberships in dictionaries, each change under one lock as one
    Firestore commit is; ``deleted`` holds the tombstones a purge has not yet removed."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self.lock = self.store.lock
        self.orgs: dict[str, Org] = {}
        self.deleted: dict[str, datetime] = {}  # org id -> when it was tombstoned
        self.slugs: dict[str, str] = {}  # slug key -> org id
        self.members: dict[str, dict[str, Membership]] = {}  # org id -> user id -> membership
        self.purged_batches = 0  # how many batches purges took
        # The deployment's role templates (FakeRoleTemplates writes them): read with every org
        self.templates: dict[str, RoleDefinition] = {}

    def _live(self, org_id: str) -> Org | None:
        org = self.orgs.get(org_id)
        if org is None or org_id in self.deleted:
            return None
        return replace(org, templates=dict(self.templates))

    def _slug_taken(self) -> Conflict:
        return Conflict("This slug is already taken.", code="slug_taken", field="slug")

    def add(self, org: Org, owner: Membership, staged: StagedWrites = NO_WRITES) -> None:
        with self.lock:
            if org.slug.normalized in self.slugs:
                raise self._slug_taken()
            self.orgs[org.id] = org
            self.slugs[org.slug.normalized] = org.id
            self.members[org.id] = {owner.user_id: owner}
            self.store.commit_staged(staged)

    def get(self, org_id: str) -> Org | None:
        with self.lock:
            return self._live(org_id)

    def find(self, id_or_slug: str) -> Org | None:
        with self.lock:
            if not is_slug_shaped(id_or_slug):
                return self._live(id_or_slug)
            org = self._live(self.slugs.get(username_key(id_or_slug), ""))
            return org if org is not None and org.slug.value == id_or_slug else None

    def update(
        self, org_id: str, change: Callable[[Org], Org], staged: StagedWrites = NO_WRITES
    ) -> Org:
        with self.lock:
            old = self._live(org_id)
            if old is None:
                raise _gone()
            new = change(old)
            held = {role for m in self.members.get(org_id, {}).values() for role in m.roles}
            for role in removed_roles(old, new):
                if role in held:
                    raise role_in_use(role)
            if new.slug.normalized != old.slug.normalized:
                if self.slugs.get(new.slug.normalized, org_id) != org_id:
                    raise self._slug_taken()
                if self.slugs.get(old.slug.normalized) == org_id:
                    del self.slugs[old.slug.normalized]
                self.slugs[new.slug.normalized] = org_id
            self.orgs[org_id] = new
            self.store.commit_staged(staged)
            return new

    def membership(self, org_id: str, user_id: str) -> Membership | None:
        with self.lock:
            if self._live(org_id) is None:
                return None
            return self.members.get(org_id, {}).get(user_id)

    def list_page(self, after: str | None, limit: int) -> list[Org]:
        with self.lock:
            live = sorted(org_id for org_id in self.orgs if org_id not in self.deleted)
            return [org for i in live if (after is None or i > after) and (org := self._live(i))][
                :limit
            ]

    def memberships_of(self, user_id: str, limit: int) -> list[tuple[Org, Membership]]:
        with self.lock:
            found = [
                (org, members[user_id])
                for org_id, members in self.members.items()
                if user_id in members and (org := self._live(org_id)) is not None
            ]
        return sorted(found, key=lambda pair: pair[0].slug.value)[:limit]

    def members_page(self, org_id: str, after: str | None, limit: int) -> list[Membership]:
        with self.lock:
            members = sorted(self.members.get(org_id, {}).items())
        return [m for user_id, m in members if after is None or user_id > after][:limit]

    def _org_of_change(self, org_id: str) -> Org:
        org = self._live(org_id)
        if org is None:
            raise _gone()
        return org

    def check_joining(self, member: Membership) -> None:
        """What ``add_member`` of ``member`` would refuse: NotFound for an org gone, Conflict
        ``already_member``."""
        with self.lock:
            self._org_of_change(member.org_id)
            if member.user_id in self.members.get(member.org_id, {}):
                raise Conflict("This person is already a member.", code="already_member")

    def _check_granter(self, org: Org, granter: Granter, granted: tuple[str, ...]) -> None:
        reads = granter.reads(granted)
        held = self.members.get(org.id, {}).get(reads) if reads is not None else None
        check_granted(granter, held.roles if held is not None else None, granted, org.definitions)

    def add_member(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        granter: Granter,
        check: Callable[[Org], None] = lambda org: None,
        managed: bool = False,
        source: RoleSource = RoleSource.HAND,
    ) -> Membership:
        with self.lock:
            org = self._org_of_change(org_id)
            members = self.members.setdefault(org_id, {})
            if user_id in members:
                raise Conflict("This person is already a member.", code="already_member")
            self._check_granter(org, granter, added_roles(roles, None, joining=True))
            check(org)
            member = Membership(org_id, user_id, (), 0, now, now, managed=managed)
            member = member.with_roles(roles, new_member_version(), now, source).resolved_in(org)
            check_given_roles(member, org.named_roles)
            self.orgs[org_id] = replace(org, owners=owners_after(org, None, member))
            members[user_id] = member
            self.store.commit_staged(staged)
            return member

    def change_roles(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        granter: Granter,
        check: Callable[[Membership], None] = lambda before: None,
        source: RoleSource = RoleSource.HAND,
    ) -> tuple[Membership, Membership]:
        with self.lock:
            org = self._org_of_change(org_id)
            before = self.members.get(org_id, {}).get(user_id)
            if before is None:
                raise NotFound("No such member of this organization.", code="member_not_found")
            check(before)
            checked_source_roles(roles, org.named_roles, source)
            self._check_granter(org, granter, added_roles(roles, before.given_by(source)))
            after = before.with_roles(roles, new_member_version(), now, source).resolved_in(org)
            self.orgs[org_id] = replace(org, owners=owners_after(org, before, after))
            self.members[org_id][user_id] = after
            self.store.commit_staged(staged)
            return before, after

    def remove_member(
        self,
        org_id: str,
        user_id: str,
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        check: Callable[[Membership], None] = lambda before: None,
    ) -> Membership:
        with self.lock:
            org = self._org_of_change(org_id)
            before = self.members.get(org_id, {}).get(user_id)
            if before is None:
                raise NotFound("No such member of this organization.", code="member_not_found")
            check(before)
            self.orgs[org_id] = replace(org, owners=owners_after(org, before, None))
            del self.members[org_id][user_id]
            self.store.commit_staged(staged)
            return before

    def mark_deleted(
        self,
        org_id: str,
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        check: Callable[[Org], None] = lambda org: None,
    ) -> Org:
        with self.lock:
            org = self._org_of_change(org_id)
            check(org)
            self.deleted[org_id] = now
            if self.slugs.get(org.slug.normalized) == org_id:
                del self.slugs[org.slug.normalized]
            self.store.commit_staged(staged)
            return org

    def purge(self, org_id: str, batch_size: int) -> None:
        with self.lock:
            if self._live(org_id) is not None:
                return  # only a tombstoned org is purged
            members = self.members.pop(org_id, {})
            self.purged_batches += -(-len(members) // batch_size)
            self.orgs.pop(org_id, None)
            self.deleted.pop(org_id, None)


# Invitations


class FakeOrgInvitationRepository:
    """Invitations by id under a lock; a change applies to the last stored state, as
    Firestore's compare-and-set does."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.invitations: dict[str, OrgInvitation] = {}

    def put(self, invitation: OrgInvitation) -> None:
        with self.lock:
            self.invitations[invitation.id] = invitation

    def get(self, invitation_id: str) -> OrgInvitation | None:
        return self.invitations.get(invitation_id)

    def by_token(self, hashed: str) -> OrgInvitation | None:
        with self.lock:
            found = (i for i in self.invitations.values() if hashed and i.token_hash == hashed)
            return next(found, None)

    def list_for(self, org_id: str, limit: int) -> list[OrgInvitation]:
        with self.lock:
            return [i for i in self.invitations.values() if i.org_id == org_id][:limit]

    def to_address(self, email: str, limit: int) -> list[OrgInvitation]:
        with self.lock:
            return [i for i in self.invitations.values() if i.email == email][:limit]

    def update(
        self, invitation_id: str, change: Callable[[OrgInvitation], OrgInvitation]
    ) -> OrgInvitation:
        with self.lock:
            invitation = self.invitations.get(invitation_id)
            if invitation is None:
                raise NotFound("No such invitation.", code="invitation_not_found")
            self.invitations[invitation_id] = after = change(invitation)
            return after

    def delete(self, invitation_id: str) -> bool:
        with self.lock:
            return self.invitations.pop(invitation_id, None) is not None

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        with self.lock:
            for found in [i for i in self.invitations.values() if i.org_id == org_id]:
                del self.invitations[found.id]


# Verified domains
