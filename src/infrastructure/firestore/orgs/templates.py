"""The deployment's role templates in ``org_role_templates/current`` (``{"templates",
"retiring"}``; application/orgs/ports.py), read with every org (documents.py), and their
holders' resolved permissions in every org
(docs/decisions/0581-role-templates-read-with-every-org.md).

An edit is a compare-and-set of the one document, then the sweep: the memberships holding
the role are found by one collection-group query and each org's holders rewritten as that
org's own edits are (``FirestoreOrgRoles.resweep``, guarded by the org's read). A membership
change reads the templates' document in its transaction: the edit's write waits for it or
aborts it, so a change that read the old definition committed before the edit and the sweep,
which reads after, finds it.

A removal marks the template ``retiring`` (a write: every grant that read it before has
ended, every later one finds the role unknown unless the member holds it), looks for a
holder, and takes the mark back with 409 ``role_in_use`` if there is one, or removes the
template and its mark in a write guarded by the mark's
(docs/decisions/0582-a-held-template-stays.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from domain.errors import NotFound
from domain.orgs.orgs import new_member_version, role_in_use_anywhere
from domain.orgs.roles import RoleDefinition
from infrastructure.firestore.client import BOUNDED
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.orgs.documents import (
    Snapshot,
    definitions_from,
    definitions_of,
    templates_ref,
)
from infrastructure.firestore.orgs.membership_writes import MEMBERS
from infrastructure.firestore.orgs.roles import FirestoreOrgRoles
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

HOLDERS_READ = 1000  # memberships one page of the sweep's query reads (their org ids only)


@translates_errors
class FirestoreRoleTemplates:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._roles = FirestoreOrgRoles(client)

    @property
    def _ref(self) -> firestore.DocumentReference:
        # made at each use: a reference makes the client, which a worker makes on its first
        # request, not while the app is built (docs/decisions/0453-one-import-in-the-master.md)
        return templates_ref(self._client)

    def _read(
        self,
    ) -> tuple[firestore.DocumentSnapshot[firestore.DocumentReference], dict[str, Any]]:
        snap = self._ref.get(**BOUNDED)
        return snap, snap.to_dict() or {}

    def _write(self, snap: Snapshot, fields: dict[str, Any]) -> datetime:
        """``fields`` written under ``snap``'s read (created when there was none); Stale when
        the document changed since."""
        fields = {**fields, "ordered_by": new_member_version()}
        try:
            if snap.exists:
                result = self._ref.update(fields, option=unchanged_since(snap), **BOUNDED)
            else:
                result = self._ref.create(fields, **BOUNDED)
        except exceptions.AlreadyExists:
            raise Stale from None
        written: datetime = result.update_time
        return written

    def templates(self) -> dict[str, RoleDefinition]:
        return definitions_from(self._read()[1].get("templates"))

    def define(
        self,
        role: str,
        change: Callable[[dict[str, RoleDefinition]], dict[str, RoleDefinition]],
        now: datetime,
    ) -> dict[str, RoleDefinition]:
        def attempt() -> dict[str, RoleDefinition]:
            snap, data = self._read()
            new = change(definitions_from(data.get("templates")))
            self._write(snap, {"templates": definitions_of(new)})
            return new

        new = until_unchanged(attempt)
        for org_id in self._orgs_holding(role):
            self._roles.resweep(org_id, role, now)
        return new

    def _orgs_holding(self, role: str) -> list[str]:
        """The orgs with a member holding ``role``, each once."""
        members = self._client.collection_group(MEMBERS)
        query = members.where(filter=firestore.FieldFilter("roles", "array_contains", role))
        query = query.order_by("__name__").select(["org_id"])
        found: dict[str, None] = {}
        last: Any = None
        while True:
            page = query.start_after(last) if last is not None else query
            snaps = list(page.limit(HOLDERS_READ).stream(**BOUNDED))
            for snap in snaps:
                found[str((snap.to_dict() or {}).get("org_id", ""))] = None
            if len(snaps) < HOLDERS_READ:
                return [org_id for org_id in found if org_id]
            last = snaps[-1]

    def remove(self, role: str, now: datetime) -> None:
        def mark() -> datetime:
            snap, data = self._read()
            if role not in (data.get("templates") or {}):
                raise NotFound("No such role template.", code="role_not_found")
            retiring = [*dict.fromkeys([*(data.get("retiring") or ()), role])]
            return self._write(snap, {"retiring": retiring})

        until_unchanged(mark)
        if self._orgs_holding(role):
            self._ref.update({"retiring": firestore.ArrayRemove([role])}, **BOUNDED)
            raise role_in_use_anywhere(role)

        def drop() -> bool:
            snap, data = self._read()
            if role not in (data.get("retiring") or ()):
                return False  # a concurrent removal took the mark back: look again
            templates = dict(data.get("templates") or {})
            templates.pop(role, None)
            retiring = [r for r in data.get("retiring") or () if r != role]
            self._write(snap, {"templates": templates, "retiring": retiring})
            return True

        if not until_unchanged(drop):
            self.remove(role, now)

    def holders(self, roles: Sequence[str]) -> dict[str, int]:
        members = self._client.collection_group(MEMBERS)
        counts: dict[str, int] = {}
        for role in roles:
            query = members.where(filter=firestore.FieldFilter("roles", "array_contains", role))
            rows: Any = query.count(alias="n").get(**BOUNDED)  # one row of one result
            counts[role] = int(rows[0][0].value)
        return counts
