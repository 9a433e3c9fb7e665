"""Fakes of the organizations' ports: the orgs with their memberships, and the invitations."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from application.ports import NO_WRITES, StagedWrites
from domain.errors import Conflict, NotFound
from domain.orgs.invitations import OrgInvitation
from domain.orgs.orgs import Membership, Org, is_slug_shaped, not_found, owners_after
from tests.fakes.kernel import InMemoryStore


class FakeOrgRepository:
    """Orgs and their members under one lock: what the invitations' use cases need of the
    port (the core's fuller fake replaces it)."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.lock = (store or InMemoryStore()).lock
        self.orgs: dict[str, Org] = {}
        self.members: dict[tuple[str, str], Membership] = {}

    def add(self, org: Org, owner: Membership, staged: StagedWrites = NO_WRITES) -> None:
        with self.lock:
            if any(o.slug.normalized == org.slug.normalized for o in self.orgs.values()):
                raise Conflict("This slug is taken.", code="slug_taken")
            self.orgs[org.id] = org
            self.members[org.id, owner.user_id] = owner

    def get(self, org_id: str) -> Org | None:
        return self.orgs.get(org_id)

    def find(self, id_or_slug: str) -> Org | None:
        with self.lock:
            if not is_slug_shaped(id_or_slug):
                return self.orgs.get(id_or_slug)
            return next((o for o in self.orgs.values() if o.slug.value == id_or_slug), None)

    def update(
        self, org_id: str, change: Callable[[Org], Org], staged: StagedWrites = NO_WRITES
    ) -> Org:
        with self.lock:
            org = self.orgs.get(org_id)
            if org is None:
                raise not_found()
            self.orgs[org_id] = after = change(org)
            return after

    def membership(self, org_id: str, user_id: str) -> Membership | None:
        with self.lock:
            return self.members.get((org_id, user_id)) if org_id in self.orgs else None

    def memberships_of(self, user_id: str, limit: int) -> list[tuple[Org, Membership]]:
        with self.lock:
            mine = [(self.orgs[o], m) for (o, u), m in self.members.items() if u == user_id]
            return sorted(mine, key=lambda pair: pair[0].slug.value)[:limit]

    def members_page(self, org_id: str, after: str | None, limit: int) -> list[Membership]:
        with self.lock:
            found = sorted(
                (m for (o, u), m in self.members.items() if o == org_id and u > (after or "")),
                key=lambda m: m.user_id,
            )
            return found[:limit]

    def add_member(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
    ) -> Membership:
        with self.lock:
            org = self.orgs.get(org_id)
            if org is None:
                raise not_found()
            if (org_id, user_id) in self.members:
                raise Conflict("Already a member.", code="already_member")
            version = org.member_version + 1
            member = Membership(org_id, user_id, roles, version, now, now)
            owners = owners_after(org, None, member)
            self.orgs[org_id] = replace(org, member_version=version, owners=owners)
            self.members[org_id, user_id] = member
            return member

    def change_roles(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
    ) -> tuple[Membership, Membership]:
        with self.lock:
            org, before = self.orgs.get(org_id), self.members.get((org_id, user_id))
            if org is None or before is None:
                raise NotFound("Not a member.", code="member_not_found")
            version = org.member_version + 1
            after = before.with_roles(roles, version, now)
            owners = owners_after(org, before, after)
            self.orgs[org_id] = replace(org, member_version=version, owners=owners)
            self.members[org_id, user_id] = after
            return before, after

    def remove_member(
        self, org_id: str, user_id: str, now: datetime, staged: StagedWrites = NO_WRITES
    ) -> Membership:
        with self.lock:
            org, before = self.orgs.get(org_id), self.members.get((org_id, user_id))
            if org is None or before is None:
                raise NotFound("Not a member.", code="member_not_found")
            self.orgs[org_id] = replace(org, owners=owners_after(org, before, None))
            del self.members[org_id, user_id]
            return before

    def mark_deleted(self, org_id: str, now: datetime, staged: StagedWrites = NO_WRITES) -> Org:
        with self.lock:
            org = self.orgs.pop(org_id, None)
            if org is None:
                raise not_found()
            return org

    def purge(self, org_id: str, batch_size: int) -> None:
        with self.lock:
            for key in [key for key in self.members if key[0] == org_id]:
                del self.members[key]


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
