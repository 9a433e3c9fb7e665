"""How the sessions begun through a SAML connection began, in ``sso_saml_sessions/{session}``
until the session's own end (``expires_at``, Firestore's TTL): the connection, the account,
the NameID as SAML compares it, its ``subject_key`` (what an IdP's ``LogoutRequest`` finds
them by, one equality) and the assertion's SessionIndex (application/sso/ports.py
``SamlSessions``; docs/reference/sso.md, "Single logout")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from application.sso.ports import SESSIONS_OF_SUBJECT_MAX
from domain.sso.logout import SamlSessionOrigin, SamlSubject
from infrastructure.firestore.client import BOUNDED, read_document, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import firestore

SAML_SESSIONS = "sso_saml_sessions"


def _to_doc(origin: SamlSessionOrigin) -> dict[str, Any]:
    subject = origin.subject
    return {
        "user_id": origin.user_id,
        "connection_id": origin.connection_id,
        "subject_key": origin.subject_key,
        "name_id": subject.value,
        "name_id_format": subject.format,
        "name_qualifier": subject.name_qualifier,
        "sp_name_qualifier": subject.sp_name_qualifier,
        "session_index": origin.session_index,
        "expires_at": origin.expires_at,
    }


def _from_doc(session_id: str, data: dict[str, Any]) -> SamlSessionOrigin:
    return SamlSessionOrigin(
        session_id=session_id,
        user_id=str(data["user_id"]),
        connection_id=str(data["connection_id"]),
        subject=SamlSubject(
            str(data.get("name_id", "")),
            str(data.get("name_id_format", "")),
            str(data.get("name_qualifier", "")),
            str(data.get("sp_name_qualifier", "")),
        ),
        session_index=str(data.get("session_index", "")),
        expires_at=data["expires_at"],
    )


@translates_errors
class FirestoreSamlSessions:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._origins = client.collection(SAML_SESSIONS)

    def record(self, origin: SamlSessionOrigin) -> None:
        self._origins.document(origin.session_id).set(_to_doc(origin), **BOUNDED)

    def get(self, session_id: str) -> SamlSessionOrigin | None:
        data = read_document(self._client, self._origins.document(session_id))
        return _from_doc(session_id, data) if data is not None else None

    def of_subject(self, connection_id: str, subject_key: str) -> list[SamlSessionOrigin]:
        query = self._origins.where(
            filter=firestore.FieldFilter("subject_key", "==", subject_key)
        ).limit(SESSIONS_OF_SUBJECT_MAX)
        found = [_from_doc(doc_id, data) for doc_id, data in run_query(self._client, query)]
        return [o for o in found if o.connection_id == connection_id]

    def forget(self, session_ids: Sequence[str]) -> None:
        batch = self._client.batch()
        for session_id in dict.fromkeys(session_ids):
            batch.delete(self._origins.document(session_id))
        if session_ids:
            batch.commit(**BOUNDED)
