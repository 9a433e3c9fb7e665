"""Each org's own sender in ``org_senders/{org_id}`` (docs/reference/org-sender.md), changed
by compare-and-set: a check's finding is stored only on the sender it read
(docs/decisions/0893-a-senders-check-stored-on-what-it-read.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.org_brand.sender import OrgSender, SenderStatus
from infrastructure.firestore.client import BOUNDED, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

SENDERS = "org_senders"


def sender_to_doc(sender: OrgSender) -> dict[str, Any]:
    return {
        "address": sender.address,
        "domain": sender.domain,
        "status": sender.status.value,
        "created_by": sender.created_by,
        "created_at": sender.created_at,
        "updated_at": sender.updated_at,
        "checked_at": sender.checked_at,
        "verified_at": sender.verified_at,
        "missing": list(sender.missing),
    }


def _time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def sender_from_doc(org_id: str, data: dict[str, Any]) -> OrgSender:
    return OrgSender(
        org_id=org_id,
        address=str(data["address"]),
        domain=str(data["domain"]),
        status=SenderStatus(data.get("status", SenderStatus.PENDING.value)),
        created_by=str(data.get("created_by", "")),
        created_at=data["created_at"],
        updated_at=data.get("updated_at", data["created_at"]),
        checked_at=_time(data.get("checked_at")),
        verified_at=_time(data.get("verified_at")),
        missing=tuple(str(check) for check in data.get("missing") or ()),
    )


@translates_errors
class FirestoreSenders:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._senders = client.collection(SENDERS)

    def get(self, org_id: str) -> OrgSender | None:
        snap = self._senders.document(org_id).get(**BOUNDED)
        return sender_from_doc(snap.id, snap.to_dict() or {}) if snap.exists else None

    def change(self, org_id: str, change: Callable[[OrgSender | None], OrgSender]) -> OrgSender:
        ref = self._senders.document(org_id)

        def attempt() -> OrgSender:
            snap = ref.get(**BOUNDED)
            before = sender_from_doc(org_id, snap.to_dict() or {}) if snap.exists else None
            after = change(before)
            if after == before:
                return after
            batch = self._client.batch()
            if snap.exists:
                batch.update(ref, sender_to_doc(after), option=unchanged_since(snap))
            else:
                batch.create(ref, sender_to_doc(after))
            try:
                batch.commit(**BOUNDED)
            except (exceptions.AlreadyExists, exceptions.NotFound):
                raise Stale from None  # made or deleted meanwhile: the next read says so
            return after

        return until_unchanged(attempt)

    def delete(self, org_id: str) -> bool:
        ref = self._senders.document(org_id)

        def attempt() -> bool:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return False
            batch = self._client.batch()
            batch.delete(ref, option=unchanged_since(snap))
            try:
                batch.commit(**BOUNDED)
            except exceptions.NotFound:
                raise Stale from None
            return True

        return until_unchanged(attempt)

    def page(self, after: str | None, limit: int) -> list[OrgSender]:
        query = self._senders.order_by("__name__")
        if after is not None:
            query = query.start_after({"__name__": self._senders.document(after)})
        found = run_query(self._client, query.limit(limit))
        return [sender_from_doc(id_, data) for id_, data in found]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        self._senders.document(org_id).delete(**BOUNDED)
