"""Personal access tokens in ``personal_tokens/{id}`` (docs/reference/tokens.md); a request
reads one with its account in one batchGet (FirestorePrincipals.load_personal)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.signin.personal_tokens import PersonalToken
from infrastructure.firestore.client import (
    BOUNDED,
    delete_if_exists,
    delete_in_batches,
    newest_first,
    read_document,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import firestore

PERSONAL_TOKENS = "personal_tokens"


def token_to_doc(token: PersonalToken) -> dict[str, Any]:
    return {
        "user_id": token.user_id,
        "name": token.name,
        "scopes": list(token.scopes),
        "created_at": token.created_at,
        "expires_at": token.expires_at,  # a Firestore TTL policy on this field reaps them
        "token_version": token.token_version,
        "secret_hash": token.secret_hash,
        "org_id": token.org_id,
    }


def token_from_doc(token_id: str, data: dict[str, Any]) -> PersonalToken:
    return PersonalToken(
        id=token_id,
        user_id=data["user_id"],
        name=data["name"],
        scopes=tuple(data["scopes"]),
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        token_version=data["token_version"],
        secret_hash=data["secret_hash"],
        org_id=data.get("org_id"),
    )


@translates_errors
class FirestorePersonalTokens:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._tokens = client.collection(PERSONAL_TOKENS)

    def add(self, token: PersonalToken) -> None:
        self._tokens.document(token.id).create(token_to_doc(token), **BOUNDED)

    def get(self, token_id: str) -> PersonalToken | None:
        data = read_document(self._client, self._tokens.document(token_id))
        return token_from_doc(token_id, data) if data is not None else None

    def list_page(
        self, user_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[PersonalToken]:
        rows = newest_first(self._client, PERSONAL_TOKENS, ("user_id", user_id), before, limit)
        return [token_from_doc(token_id, data) for token_id, data in rows]

    def remove(self, token_id: str) -> bool:
        return delete_if_exists(self._client, self._tokens.document(token_id))

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        query = self._tokens.where(filter=firestore.FieldFilter("user_id", "==", user_id))
        delete_in_batches(self._client, query, batch_size)

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        query = self._tokens.where(filter=firestore.FieldFilter("org_id", "==", org_id))
        delete_in_batches(self._client, query, batch_size)
