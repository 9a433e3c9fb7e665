"""An org's SCIM groups in ``scim_groups/{org_id}:{group_id}`` (docs/reference/scim.md,
"Groups"), each with its ``keys`` for filters and its members' ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.scim.groups import ScimGroup, no_such_group
from domain.scim.users import version_mismatch
from infrastructure.firestore.client import BOUNDED, ONCE, read_document
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.scim.records import (
    count_of,
    delete_of_org,
    matching_of,
    page_of,
    record_ref,
)
from infrastructure.firestore.sdk import firestore

SCIM_GROUPS = "scim_groups"


def group_to_doc(group: ScimGroup) -> dict[str, Any]:
    return {
        "org_id": group.org_id,
        "group_id": group.group_id,
        "display_name": group.display_name,
        "members": list(group.members),
        "created_at": group.created_at,
        "updated_at": group.updated_at,
        "version": group.version,
        "external_id": group.external_id,
        "document": group.document,
        "keys": group.keys(),
    }


def group_from_doc(data: dict[str, Any]) -> ScimGroup:
    return ScimGroup(
        org_id=data["org_id"],
        group_id=data["group_id"],
        display_name=data["display_name"],
        members=tuple(data["members"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        version=int(data["version"]),
        external_id=data.get("external_id"),
        document=data.get("document", "{}"),
    )


@translates_errors
class FirestoreScimGroups:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def _ref(self, org_id: str, group_id: str) -> firestore.DocumentReference:
        return record_ref(self._client, SCIM_GROUPS, org_id, group_id)

    def add(self, group: ScimGroup) -> None:
        self._ref(group.org_id, group.group_id).create(group_to_doc(group), **BOUNDED)

    def get(self, org_id: str, group_id: str) -> ScimGroup | None:
        data = read_document(self._client, self._ref(org_id, group_id))
        return group_from_doc(data) if data is not None else None

    def replace(self, group: ScimGroup, expected_version: int) -> ScimGroup:
        ref = self._ref(group.org_id, group.group_id)

        def attempt() -> ScimGroup:
            # Compare-and-set: written only if unchanged since this read, else read again
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                raise no_such_group()
            if int((snap.to_dict() or {})["version"]) != expected_version:
                raise version_mismatch()
            ref.update(group_to_doc(group), option=unchanged_since(snap), **ONCE)
            return group

        return until_unchanged(attempt)

    def remove(self, org_id: str, group_id: str, expected_version: int | None = None) -> bool:
        ref = self._ref(org_id, group_id)

        def attempt() -> bool:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return False
            if (
                expected_version is not None
                and int((snap.to_dict() or {})["version"]) != expected_version
            ):
                raise version_mismatch()
            ref.delete(option=unchanged_since(snap), **ONCE)
            return True

        return until_unchanged(attempt)

    def page(self, org_id: str, offset: int, limit: int) -> list[ScimGroup]:
        found = page_of(self._client, SCIM_GROUPS, org_id, offset, limit)
        return [group_from_doc(data) for data in found]

    def count(self, org_id: str) -> int:
        return count_of(self._client, SCIM_GROUPS, org_id)

    def matching(self, org_id: str, keys: Sequence[str], limit: int) -> list[ScimGroup]:
        found = matching_of(self._client, SCIM_GROUPS, org_id, keys, limit)
        return [group_from_doc(data) for data in found]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        def refs(data: dict[str, Any]) -> list[firestore.DocumentReference]:
            return [self._ref(org_id, data["group_id"])]

        delete_of_org(self._client, SCIM_GROUPS, org_id, batch_size, refs)
