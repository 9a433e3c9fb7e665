"""An org's role definitions (``orgs/{org_id}/definitions/roles``, saved with the org's
document: documents.py) and their holders' resolved permissions
(``orgs/{org_id}/members/{user_id}``, ``permissions`` and ``version``; application/orgs/
ports.py, docs/decisions/0489-org-roles-with-permissions.md).

Optimistic, as the org's other writes are (``optimistic.py``): a role's edit reads the org
and the role's first holders (at most ``HOLDERS_PAGE``) without locks and commits the org and
each of them, their permissions resolved against the new definition and a new version, in
one batch guarded by the update times it read. A membership change reads the org in its own
transaction (or guards its batch by the org's update time), so one that commits after the
edit resolves against the new definition. One that committed before it but after the edit's
read, or a holder past the first page, is found by the sweep that follows: pages of holders
read again, and those whose permissions differ from the org's definitions as then read
rewritten in a batch that also writes the org (``ordered_by``) under its read, so no page
commits on definitions another edit has since replaced; that edit's own sweep comes after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from domain.errors import NotFound
from domain.orgs.orgs import Org, new_member_version
from infrastructure.firestore.client import BOUNDED
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.orgs.documents import (
    Snapshot,
    is_live,
    member_from_doc,
    org_from_doc,
    org_snapshot,
    org_writes,
)
from infrastructure.firestore.orgs.membership_writes import MEMBERS, ORGS
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

HOLDERS_PAGE = 499  # the memberships one batch rewrites, beside the org's own write


def _gone() -> NotFound:
    return NotFound("No such organization.", code="org_not_found")


@translates_errors
class FirestoreOrgRoles:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._orgs = client.collection(ORGS)

    def _holders(self, org_id: str, role: str, after: str | None) -> list[Snapshot]:
        members = self._orgs.document(org_id).collection(MEMBERS)
        query = members.where(filter=firestore.FieldFilter("roles", "array_contains", role))
        query = query.order_by("__name__")
        if after is not None:
            query = query.start_after({"__name__": members.document(after)})
        return list(query.limit(HOLDERS_PAGE).stream(**BOUNDED))

    def _org(self, org_id: str) -> tuple[Org, Snapshot]:
        snap, data = org_snapshot(self._client, self._orgs.document(org_id))
        if data is None or not is_live(data):
            raise _gone()
        return org_from_doc(org_id, data), snap

    def _commit(
        self, batch: firestore.WriteBatch, holders: list[Snapshot], org: Org, now: datetime
    ) -> None:
        """Each of ``holders`` with its permissions resolved in ``org`` and a new version,
        guarded by its read, committed with ``batch``."""
        for snap in holders:
            member = member_from_doc(snap.to_dict() or {}).resolved_in(org)
            fields: dict[str, Any] = {
                "permissions": list(member.permissions),
                "version": new_member_version(),
                "updated_at": now,
            }
            batch.update(snap.reference, fields, option=unchanged_since(snap))
        try:
            batch.commit(**BOUNDED)
        except exceptions.NotFound:  # a holder removed since it was read
            raise Stale from None

    def redefine(self, org_id: str, role: str, change: Callable[[Org], Org], now: datetime) -> Org:
        def first() -> Org:
            old, snap = self._org(org_id)
            new = change(old)
            holders = self._holders(org_id, role, None)
            batch = self._client.batch()
            org_writes(batch, snap.reference, new, unchanged_since(snap))
            self._commit(batch, holders, new, now)
            return new

        new = until_unchanged(first)
        after: str | None = None
        while True:
            after = self._sweep(org_id, role, after, now)
            if after is None:
                return new

    def resweep(self, org_id: str, role: str, now: datetime) -> None:
        """Every holder of ``role`` in the org whose permissions its definitions (and the
        templates) as now read no longer give rewritten, page by page; nothing for an org
        gone."""
        after: str | None = None
        while True:
            try:
                after = self._sweep(org_id, role, after, now)
            except NotFound:
                return
            if after is None:
                return

    def _sweep(self, org_id: str, role: str, after: str | None, now: datetime) -> str | None:
        """The holders after ``after`` whose permissions the org's definitions no longer
        give rewritten; the last one's id when the page was full (more may follow)."""

        def page() -> str | None:
            org, snap = self._org(org_id)
            holders = self._holders(org_id, role, after)
            stale = [
                h
                for h in holders
                if tuple((h.to_dict() or {}).get("permissions", ()))
                != org.permissions_of((h.to_dict() or {}).get("roles", ()))
            ]
            if stale:
                batch = self._client.batch()
                guard = unchanged_since(snap)
                batch.update(snap.reference, {"ordered_by": new_member_version()}, option=guard)
                self._commit(batch, stale, org, now)
            return holders[-1].id if len(holders) == HOLDERS_PAGE else None

        return until_unchanged(page)

    def holders(self, org_id: str, roles: Sequence[str]) -> dict[str, int]:
        members = self._orgs.document(org_id).collection(MEMBERS)
        counts: dict[str, int] = {}
        for role in roles:
            query = members.where(filter=firestore.FieldFilter("roles", "array_contains", role))
            rows: Any = query.count(alias="n").get(**BOUNDED)  # one row of one result
            counts[role] = int(rows[0][0].value)
        return counts
