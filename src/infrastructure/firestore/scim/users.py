"""An org's SCIM users in ``scim_users/{org_id}:{user_id}`` and the claim of each
``userName`` in ``scim_user_names/{org_id}:{folded userName}`` (docs/reference/scim.md,
"Users"). A record holds its ``keys``: a filter is one query on them
(docs/decisions/0403-scim-filters-by-keys.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.errors import Conflict
from domain.scim.users import (
    ScimEmail,
    ScimUser,
    no_such_user,
    user_name_taken,
    version_mismatch,
)
from infrastructure.firestore.client import (
    BOUNDED,
    claim_id,
    read_document,
    run_transaction,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.scim.records import (
    count_of,
    delete_of_org,
    matching_of,
    page_of,
    record_ref,
)
from infrastructure.firestore.sdk import exceptions, firestore

SCIM_USERS, SCIM_USER_NAMES = "scim_users", "scim_user_names"


def user_to_doc(user: ScimUser) -> dict[str, Any]:
    return {
        "org_id": user.org_id,
        "user_id": user.user_id,
        "user_name": user.user_name,
        "active": user.active,
        "managed": user.managed,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "version": user.version,
        "emails": [{"value": e.value, "type": e.type, "primary": e.primary} for e in user.emails],
        "external_id": user.external_id,
        "display_name": user.display_name,
        "document": user.document,
        "keys": user.keys(),
    }


def user_from_doc(data: dict[str, Any]) -> ScimUser:
    return ScimUser(
        org_id=data["org_id"],
        user_id=data["user_id"],
        user_name=data["user_name"],
        active=bool(data["active"]),
        managed=bool(data["managed"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        version=int(data["version"]),
        emails=tuple(
            ScimEmail(e["value"], e.get("type"), bool(e.get("primary"))) for e in data["emails"]
        ),
        external_id=data.get("external_id"),
        display_name=data.get("display_name"),
        document=data.get("document", "{}"),
    )


def _already_provisioned() -> Conflict:
    return Conflict(
        "This account is a user of this organization already.", code="already_provisioned"
    )


@translates_errors
class FirestoreScimUsers:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._names = client.collection(SCIM_USER_NAMES)

    def _ref(self, org_id: str, user_id: str) -> firestore.DocumentReference:
        return record_ref(self._client, SCIM_USERS, org_id, user_id)

    def _name_ref(self, user: ScimUser) -> firestore.DocumentReference:
        return self._names.document(claim_id(f"{user.org_id}:{user.user_name_key}"))

    def claim(self, user: ScimUser) -> None:
        batch = self._client.batch()
        batch.create(self._name_ref(user), {"org_id": user.org_id, "user_id": user.user_id})
        batch.create(self._ref(user.org_id, user.user_id), user_to_doc(user))
        try:
            batch.commit(**BOUNDED)
        except exceptions.AlreadyExists:
            held = read_document(self._client, self._name_ref(user))
            raise user_name_taken() if held is not None else _already_provisioned() from None

    def get(self, org_id: str, user_id: str) -> ScimUser | None:
        data = read_document(self._client, self._ref(org_id, user_id))
        return user_from_doc(data) if data is not None else None

    def replace(self, user: ScimUser, expected_version: int) -> ScimUser:
        ref, new_name = self._ref(user.org_id, user.user_id), self._name_ref(user)

        def body(transaction: firestore.Transaction) -> ScimUser:
            snaps = {s.reference.path: s for s in transaction.get_all([ref, new_name])}
            current, holder = snaps[ref.path], snaps[new_name.path]
            if not current.exists:
                raise no_such_user()
            stored = user_from_doc(current.to_dict() or {})
            if stored.version != expected_version:
                raise version_mismatch()
            if stored.user_name_key != user.user_name_key:
                if holder.exists:
                    raise user_name_taken()
                transaction.create(new_name, {"org_id": user.org_id, "user_id": user.user_id})
                transaction.delete(self._name_ref(stored))
            transaction.set(ref, user_to_doc(user))
            return user

        return run_transaction(self._client, body)

    def remove(self, org_id: str, user_id: str, expected_version: int | None = None) -> bool:
        ref = self._ref(org_id, user_id)

        def body(transaction: firestore.Transaction) -> bool:
            snap = next(iter(transaction.get_all([ref])))
            if not snap.exists:
                return False
            stored = user_from_doc(snap.to_dict() or {})
            if expected_version is not None and stored.version != expected_version:
                raise version_mismatch()
            transaction.delete(ref)
            transaction.delete(self._name_ref(stored))
            return True

        return run_transaction(self._client, body)

    def page(self, org_id: str, offset: int, limit: int) -> list[ScimUser]:
        return [user_from_doc(d) for d in page_of(self._client, SCIM_USERS, org_id, offset, limit)]

    def count(self, org_id: str) -> int:
        return count_of(self._client, SCIM_USERS, org_id)

    def matching(self, org_id: str, keys: Sequence[str], limit: int) -> list[ScimUser]:
        found = matching_of(self._client, SCIM_USERS, org_id, keys, limit)
        return [user_from_doc(data) for data in found]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        def refs(data: dict[str, Any]) -> list[firestore.DocumentReference]:
            user = user_from_doc(data)
            return [self._ref(org_id, user.user_id), self._name_ref(user)]

        delete_of_org(self._client, SCIM_USERS, org_id, batch_size, refs)
