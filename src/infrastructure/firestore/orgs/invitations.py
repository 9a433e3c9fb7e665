"""Org invitations in Firestore: ``org_invitations/{id}``, one per org and address
(``domain.orgs.invitations.invitation_id``), found by the hash of its link's token; its
``expires_at`` is its TTL (docs/reference/orgs.md, "Invitations")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.errors import NotFound
from domain.orgs.invitations import OrgInvitation
from infrastructure.firestore.client import (
    BOUNDED,
    delete_in_batches,
    document_id,
    read_document,
    run_query,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Select, Stale
from infrastructure.firestore.sdk import exceptions, firestore

ORG_INVITATIONS = "org_invitations"


def invitation_to_doc(invitation: OrgInvitation) -> dict[str, Any]:
    return {
        "org_id": invitation.org_id,
        "email": invitation.email,
        "address": invitation.address,
        "roles": list(invitation.roles),
        "token_hash": invitation.token_hash,
        "created_by": invitation.created_by,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,  # a TTL policy on it removes old ones
        "accepted_by": invitation.accepted_by,
        "accepted_at": invitation.accepted_at,
    }


def invitation_from_doc(invitation_id: str, data: dict[str, Any]) -> OrgInvitation:
    return OrgInvitation(
        id=invitation_id,
        org_id=data["org_id"],
        email=data["email"],
        roles=tuple(data.get("roles", ())),
        created_by=data["created_by"],
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        token_hash=data.get("token_hash", ""),
        accepted_by=data.get("accepted_by"),
        accepted_at=data.get("accepted_at"),
        address=data.get("address") or "",
    )


def _missing() -> NotFound:
    return NotFound("No such invitation.", code="invitation_not_found")


@translates_errors
class FirestoreOrgInvitationRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._invitations = client.collection(ORG_INVITATIONS)

    def put(self, invitation: OrgInvitation) -> None:
        self._invitations.document(invitation.id).set(invitation_to_doc(invitation), **BOUNDED)

    def get(self, invitation_id: str) -> OrgInvitation | None:
        if not document_id(invitation_id):
            return None
        data = read_document(self._client, self._invitations.document(invitation_id))
        return invitation_from_doc(invitation_id, data) if data is not None else None

    def by_token(self, hashed: str) -> OrgInvitation | None:
        if not hashed:
            return None  # an invitation whose mail is not out yet has no token
        found = run_query(self._client, Select(ORG_INVITATIONS, (("token_hash", hashed),), limit=1))
        return invitation_from_doc(*found[0]) if found else None

    def list_for(self, org_id: str, limit: int) -> list[OrgInvitation]:
        found = run_query(self._client, Select(ORG_INVITATIONS, (("org_id", org_id),), limit=limit))
        return [invitation_from_doc(invitation_id, data) for invitation_id, data in found]

    def to_address(self, email: str, limit: int) -> list[OrgInvitation]:
        found = run_query(self._client, Select(ORG_INVITATIONS, (("email", email),), limit=limit))
        return [invitation_from_doc(invitation_id, data) for invitation_id, data in found]

    def update(
        self, invitation_id: str, change: Callable[[OrgInvitation], OrgInvitation]
    ) -> OrgInvitation:
        # Compare-and-set on the update time (docs/contributing.md): thirty accepts of one
        # invitation each read the last one's result, none waits on a lock.
        ref = self._invitations.document(invitation_id)

        def attempt() -> OrgInvitation:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                raise _missing()
            before = invitation_from_doc(invitation_id, snap.to_dict() or {})
            after = change(before)
            if after == before:
                return after
            try:
                ref.update(invitation_to_doc(after), option=unchanged_since(snap), **BOUNDED)
            except exceptions.NotFound:
                raise Stale from None  # deleted meanwhile: the next read says so
            return after

        return until_unchanged(attempt)

    def delete(self, invitation_id: str) -> bool:
        ref = self._invitations.document(invitation_id)
        snap = ref.get(**BOUNDED)
        if not snap.exists:
            return False
        ref.delete(**BOUNDED)
        return True

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        query = self._invitations.where(filter=firestore.FieldFilter("org_id", "==", org_id))
        delete_in_batches(self._client, query, batch_size)
