from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType
from typing import Any

from application.ports import NO_WRITES, StagedWrites
from application.signin.sessions import SessionRead
from domain.accounts.users import User
from domain.signin.sessions import Session
from infrastructure.firestore.accounts.users import SESSIONS, USERS, StagedWriter, user_from_doc
from infrastructure.firestore.client import BOUNDED, reads_of, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import until_unchanged
from infrastructure.firestore.reads import Missing, Select, Stale, Write
from infrastructure.firestore.sdk import exceptions, firestore

DELETE_BATCH = 200


def session_to_doc(session: Session) -> dict[str, Any]:
    """The fields a session is stored with. ``spent`` (the list of spent hashes sessions
    kept before docs/decisions/0250-refresh-in-one-read-and-a-small-write.md) is read,
    never written: a session stored with it keeps it, untouched, until it ends."""
    return {
        "user_id": session.user_id,
        "token_version": session.token_version,
        "created_at": session.created_at,
        "last_used_at": session.last_used_at,
        "expires_at": session.expires_at,  # a Firestore TTL policy on this field reaps them
        "refresh_hashes": list(session.refresh_hashes),
        "user_agent": session.user_agent,
        "revoked_at": session.revoked_at,
        "amr": list(session.amr),
        "rotations": session.rotations,
        "rotated_at": session.rotated_at,
        "spent_untagged": session.spent_untagged,
        # Absent until a session first picks an org: a session without one stores nothing
        # more than before.
        **({"org_id": session.org_id} if session.org_id is not None else {}),
        # Absent without a before_sign_in hook's claims (docs/hooks.md).
        **({"claims": dict(session.claims)} if session.claims else {}),
        **(_acting(session) if session.impersonated else {}),
    }


def _acting(session: Session) -> dict[str, Any]:
    """Support access's fields (docs/support-access.md): absent from a person's own session."""
    return {
        "acting_admin_id": session.acting_admin_id,
        "acting_admin_name": session.acting_admin_name,
        **({"acting_org_id": session.acting_org_id} if session.acting_org_id else {}),
    }


def changed_fields(before: Session, after: Session) -> dict[str, Any]:
    """Only the fields ``after`` changes: what an update writes (a refresh, four small
    fields), so its cost does not depend on what else the document holds."""
    old, new = session_to_doc(before), session_to_doc(after)
    if "org_id" in old:
        new.setdefault("org_id", None)  # an org cleared: stored as null
    return {name: value for name, value in new.items() if old.get(name) != value}


def session_from_doc(session_id: str, data: dict[str, Any]) -> Session:
    return Session(
        id=session_id,
        user_id=data["user_id"],
        token_version=data["token_version"],
        created_at=data["created_at"],
        last_used_at=data["last_used_at"],
        expires_at=data["expires_at"],
        refresh_hashes=tuple(data.get("refresh_hashes", ())),
        user_agent=data.get("user_agent", ""),
        revoked_at=data.get("revoked_at"),
        amr=tuple(data.get("amr", ())),  # sessions stored before the field existed: none
        rotations=data.get("rotations", 0),  # counted from the first tagged token
        rotated_at=data.get("rotated_at"),
        spent_untagged=data.get("spent_untagged"),
        spent_before=tuple((item["hash"], item["at"]) for item in data.get("spent", ())),
        org_id=data.get("org_id"),
        claims=MappingProxyType(dict(data.get("claims") or {})),
        acting_admin_id=data.get("acting_admin_id"),
        acting_admin_name=data.get("acting_admin_name", ""),
        acting_org_id=data.get("acting_org_id"),
    )


@translates_errors
class FirestoreSessionRepository:
    def __init__(self, client: firestore.Client, *, write_staged: StagedWriter) -> None:
        self._client = client
        self._sessions = client.collection(SESSIONS)
        self._write_staged = write_staged  # a sign-in's events, in its session's commit

    def add(self, session: Session, staged: StagedWrites = NO_WRITES) -> None:
        # The ids are fresh and random: AlreadyExists can only mean that a retried commit
        # had in fact succeeded the first time.
        batch = self._client.batch()
        batch.create(self._sessions.document(session.id), session_to_doc(session))
        self._write_staged(self._client, batch, staged)
        with contextlib.suppress(exceptions.AlreadyExists):
            batch.commit(**BOUNDED)

    def get(self, session_id: str) -> Session | None:
        found = self.read(session_id)
        return found.session if found is not None else None

    def read(self, session_id: str) -> SessionRead | None:
        # Over REST with the update time the write's precondition needs, for a quarter of
        # the client library's CPU (docs/decisions/0260-refresh-over-rest.md).
        (found,) = reads_of(self._client).read_versioned([f"{SESSIONS}/{session_id}"])
        if found is None:
            return None
        return SessionRead(session_from_doc(session_id, found.fields), found.update_time)

    def read_with_account(
        self, session_id: str, user_id: str
    ) -> tuple[SessionRead | None, User | None]:
        # One batch read: the session with its update time, and the account beside it.
        paths = [f"{SESSIONS}/{session_id}", f"{USERS}/{user_id}"]
        found, account = reads_of(self._client).read_versioned(paths)
        read = (
            SessionRead(session_from_doc(session_id, found.fields), found.update_time)
            if found is not None
            else None
        )
        user = user_from_doc(user_id, account.fields) if account is not None else None
        return read, user

    def update(
        self,
        session_id: str,
        change: Callable[[Session], Session],
        *,
        read: SessionRead | None = None,
    ) -> Session | None:
        # Compare-and-set on the document's update time rather than a transaction: a client
        # refreshing from ten tabs at once makes ten writers of one document, and the
        # emulator's (and Firestore's) pessimistic transaction locks then time out and
        # abort in a row; a precondition failure is cheap to retry and takes no lock. The
        # write names only the fields that change.
        first = read

        def attempt() -> Session | None:
            nonlocal first
            known, first = first or self.read(session_id), None
            if known is None:
                return None
            before = known.session
            after = change(before)
            if after == before:
                return after
            if not isinstance(known.version, datetime):
                raise TypeError(f"a session's version is its update time: {known.version!r}")
            # Only the changed fields, while the session is still the version read: one
            # commit over REST.
            fields = changed_fields(before, after)
            write = Write(f"{SESSIONS}/{session_id}", fields, unchanged_since=known.version)
            try:
                reads_of(self._client).commit([write])
            except Missing:
                raise Stale from None  # ended meanwhile: the next read says so
            return after

        return until_unchanged(attempt)

    def set_org(self, session_id: str, org_id: str | None, now: datetime) -> bool:
        # One blind write of two fields, no read: the caller read the session with its
        # request. A refresh racing it finds the session changed and builds its own write
        # again (compare-and-set); a session ended meanwhile is NotFound.
        fields = {"org_id": org_id, "last_used_at": now}
        try:
            reads_of(self._client).commit([Write(f"{SESSIONS}/{session_id}", fields)])
        except Missing:
            return False
        return True

    def revoke(self, session_id: str, now: datetime) -> None:
        ref = self._sessions.document(session_id)
        with contextlib.suppress(exceptions.NotFound):  # revoking a session that is gone is a no-op
            ref.update({"revoked_at": now}, **BOUNDED)

    def delete(self, session_id: str) -> None:
        self._sessions.document(session_id).delete(**BOUNDED)

    def _of_user(self, user_id: str) -> firestore.Query:
        return self._sessions.where(filter=firestore.FieldFilter("user_id", "==", user_id))

    def list_for_user(self, user_id: str, limit: int) -> list[Session]:
        found = run_query(self._client, Select(SESSIONS, (("user_id", user_id),), limit=limit))
        return [session_from_doc(session_id, data) for session_id, data in found]

    def delete_for_user(self, user_id: str) -> None:
        query = self._of_user(user_id).limit(DELETE_BATCH)
        while refs := [snap.reference for snap in query.select([]).stream(**BOUNDED)]:
            batch = self._client.batch()
            for ref in refs:
                batch.delete(ref)
            batch.commit(**BOUNDED)
