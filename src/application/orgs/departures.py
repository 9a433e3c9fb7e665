"""An account's org memberships when the account is deleted (docs/reference/orgs.md, "When
an account is deleted"; docs/decisions/0381-an-account-deleted-leaves-its-orgs.md).

Before the account is tombstoned it leaves every org, under the last owner's rule: the last
owner of an org with other members cannot delete their account (409 ``last_owner``, nothing
changed) until they hand the org over or delete it; an org whose only member they are is
deleted with them. Leaving first, not after the tombstone, is what keeps a deleted account
from ever being an org's only owner: each departure is the membership's own compare-and-set
commit, so a concurrent demotion of the other owner is refused, or refuses the deletion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from application.orgs.orgs import OrgPurge, end_org
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, JobQueue
from domain.errors import Conflict
from domain.orgs.orgs import Membership, Org

log = logging.getLogger("firegate.orgs")

ACCOUNT_DELETED = "account_deleted"  # the reason of the org events a deletion records
HELD_MAX = 1000  # the memberships of one account a deletion reads (as GET /orgs can list)


def _still_owned(org: Org) -> Conflict:
    return Conflict(
        f"You are the last owner of the organization {org.name} ({org.slug.value}), which has "
        "other members: make one of them an owner, or delete the organization, first.",
        code="last_owner",
    )


@dataclass(frozen=True)
class OrgDepartures:
    """What a deleted account leaves in the orgs: its memberships, ended before its
    tombstone (``depart``) and, for any made in the instant before it, by its purge
    (``delete_owned_by``)."""

    orgs: OrgRepository
    clock: Clock
    audit: AuditLog
    queue: JobQueue  # where an org deleted with its only member goes to be purged
    purge: OrgPurge  # ... or is purged, when the queue refuses it

    def _alone_in(self, org: Org, user_id: str) -> bool:
        """Is the person the org's only member? (Then they are its owner.)"""
        return [m.user_id for m in self.orgs.members_page(org.id, None, 2)] == [user_id]

    def depart(self, user_id: str, actor_id: str | None) -> None:
        """Before the account is deleted: 409 ``last_owner``, nothing changed, while it is
        the last owner of an org with other members; else every membership ends
        (``org.member_removed``), and an org it is alone in is deleted (``org.deleted``),
        each with reason ``account_deleted``. A race lost on one org (its other owner
        demoted meanwhile) is 409 too, the orgs left before it staying left."""
        held = self.orgs.memberships_of(user_id, HELD_MAX)
        alone: set[str] = set()
        for org, membership in held:
            if membership.owner and org.owners == 1:
                if not self._alone_in(org, user_id):
                    raise _still_owned(org)
                alone.add(org.id)
        for org, membership in held:
            if org.id in alone:
                self._end_with(org, user_id, actor_id)
            else:
                self._leave(org, membership, actor_id)

    def _leave(self, org: Org, membership: Membership, actor_id: str | None) -> None:
        event = AuditEvent(
            Audit.ORG_MEMBER_REMOVED,
            user_id=membership.user_id,
            actor_id=actor_id,
            org_id=org.id,
            reason=ACCOUNT_DELETED,
        )
        staged = self.audit.stage([event])
        try:
            self.orgs.remove_member(org.id, membership.user_id, self.clock.now(), staged)
        except Conflict as refused:
            if refused.code == "last_owner":
                raise _still_owned(org) from None
            raise
        self.audit.committed(staged)

    def _end_with(self, org: Org, user_id: str, actor_id: str | None) -> None:
        """The org deleted with its only member, unless one joined since it was counted
        (its members are read again just before the tombstone's commit): then 409, as for
        any last owner. A join in the instant between ends with the org, as one just
        before any deletion does (docs/decisions/0470-no-org-document-on-the-membership-
        path.md)."""

        def nobody_joined(current: Org) -> None:
            if not self._alone_in(current, user_id):
                raise _still_owned(current)

        end_org(
            org.id,
            user_id,
            actor_id,
            orgs=self.orgs,
            clock=self.clock,
            audit=self.audit,
            queue=self.queue,
            purge=self.purge,
            reason=ACCOUNT_DELETED,
            check=nobody_joined,
        )

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """The purge of a deleted account: a membership made in the instant before its
        tombstone ends too; one that would leave its org without an owner stays, logged,
        for an operator (``orgs members add``) to hand the org to someone."""
        for org, membership in self.orgs.memberships_of(user_id, HELD_MAX):
            try:
                if membership.owner and org.owners == 1 and self._alone_in(org, user_id):
                    self._end_with(org, user_id, None)
                else:
                    self._leave(org, membership, None)
            except Conflict as refused:
                log.warning(
                    "deleted account %s stays in org %s (%s)", user_id, org.id, refused.code
                )
