"""An org's SCIM tokens in ``scim_tokens/{id}`` (docs/reference/scim.md, "Tokens"); a
directory's request reads one with its org in one batchGet (``load``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.orgs.orgs import Org
from domain.scim.tokens import ScimToken
from infrastructure.firestore.client import (
    BOUNDED,
    delete_if_exists,
    delete_in_batches,
    newest_first,
    read_document,
    read_documents,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.orgs.documents import live_org
from infrastructure.firestore.orgs.membership_writes import ORGS
from infrastructure.firestore.sdk import firestore

SCIM_TOKENS = "scim_tokens"


def token_to_doc(token: ScimToken) -> dict[str, Any]:
    return {
        "org_id": token.org_id,
        "name": token.name,
        "created_at": token.created_at,
        "created_by": token.created_by,
        "secret_hash": token.secret_hash,
    }


def token_from_doc(token_id: str, data: dict[str, Any]) -> ScimToken:
    return ScimToken(
        id=token_id,
        org_id=data["org_id"],
        name=data["name"],
        created_at=data["created_at"],
        created_by=data["created_by"],
        secret_hash=data["secret_hash"],
    )


@translates_errors
class FirestoreScimTokens:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._tokens = client.collection(SCIM_TOKENS)

    def add(self, token: ScimToken) -> None:
        self._tokens.document(token.id).create(token_to_doc(token), **BOUNDED)

    def get(self, token_id: str) -> ScimToken | None:
        data = read_document(self._client, self._tokens.document(token_id))
        return token_from_doc(token_id, data) if data is not None else None

    def load(self, org_id: str, token_id: str) -> tuple[ScimToken | None, Org | None]:
        # The org's document alone, as each request in an org reads it: not its roles'
        # definitions (up to 50 roles of 100 permissions), which no SCIM request needs.
        refs = [self._tokens.document(token_id), self._client.collection(ORGS).document(org_id)]
        token_data, org_data = read_documents(self._client, refs)
        token = token_from_doc(token_id, token_data) if token_data is not None else None
        org = live_org(org_id, org_data)
        return token, replace(org, roles={}) if org is not None else None

    def list_page(
        self, org_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[ScimToken]:
        rows = newest_first(self._client, SCIM_TOKENS, ("org_id", org_id), before, limit)
        return [token_from_doc(token_id, data) for token_id, data in rows]

    def remove(self, token_id: str) -> bool:
        return delete_if_exists(self._client, self._tokens.document(token_id))

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        query = self._tokens.where(filter=firestore.FieldFilter("org_id", "==", org_id))
        delete_in_batches(self._client, query, batch_size)
