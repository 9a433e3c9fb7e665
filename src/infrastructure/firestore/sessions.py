from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore

from domain.sessions import Session
from infrastructure.firestore.client import BOUNDED

SESSIONS = "sessions"


def session_to_doc(session: Session) -> dict[str, Any]:
    return {
        "user_id": session.user_id,
        "token_version": session.token_version,
        "created_at": session.created_at,
        "last_used_at": session.last_used_at,
        "expires_at": session.expires_at,
        "refresh_hash": session.refresh_hash,
        "user_agent": session.user_agent,
        "revoked_at": session.revoked_at,
    }


def session_from_doc(session_id: str, data: dict[str, Any]) -> Session:
    return Session(
        id=session_id,
        user_id=data["user_id"],
        token_version=data["token_version"],
        created_at=data["created_at"],
        last_used_at=data["last_used_at"],
        expires_at=data["expires_at"],
        refresh_hash=data["refresh_hash"],
        user_agent=data.get("user_agent", ""),
        revoked_at=data.get("revoked_at"),
    )


class FirestoreSessionRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._sessions = client.collection(SESSIONS)

    def add(self, session: Session) -> None:
        # The id is fresh and random: AlreadyExists can only mean that a retried create had
        # in fact succeeded the first time.
        with contextlib.suppress(AlreadyExists):
            self._sessions.document(session.id).create(session_to_doc(session), **BOUNDED)

    def get(self, session_id: str) -> Session | None:
        snap = self._sessions.document(session_id).get(**BOUNDED)
        return session_from_doc(snap.id, snap.to_dict() or {}) if snap.exists else None

    def revoke(self, session_id: str, now: datetime) -> None:
        ref = self._sessions.document(session_id)
        with contextlib.suppress(NotFound):  # revoking a session that is gone is a no-op
            ref.update({"revoked_at": now}, **BOUNDED)
