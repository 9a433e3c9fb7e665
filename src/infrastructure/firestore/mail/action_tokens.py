"""Action tokens by hash, and the per-account log of mails sent, in Firestore.

``action_tokens/{sha256 of the token}`` holds what a token may do and whether it is spent;
``mail_sends/{user_id}`` the recent sends under each of the two sending limits (link mails,
notices) and the newest token of each purpose.
A spend claims the token with a write precondition (exactly one of concurrent uses lands),
then checks it against its user and the send log and changes the user by compare-and-set;
a change that fails releases the claim (docs/security.md, "Action tokens").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from application.ports import NO_TOKEN_VERSION_COPIES, TokenVersionCopies
from domain.accounts.users import User
from domain.link_tokens import InvalidToken
from domain.mail.action_tokens import ActionToken, Purpose, SendLog
from infrastructure.firestore.accounts.users import (
    ACTION_TOKENS,
    MAIL_SENDS,
    USERS,
    user_from_doc,
    user_to_doc,
)
from infrastructure.firestore.client import BOUNDED, ONCE, read_document
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

log = logging.getLogger("firegate.firestore")


def token_to_doc(token: ActionToken) -> dict[str, Any]:
    return {
        "purpose": token.purpose.value,
        "user_id": token.user_id,
        "created_at": token.created_at,
        "expires_at": token.expires_at,  # a Firestore TTL policy on it removes old ones
        "email": token.email,
        "password": token.password,
        "spent_at": token.spent_at,
        "email_version": token.email_version,
    } | ({"undo": token.undo} if token.undo else {})


def token_from_doc(hashed: str, data: dict[str, Any]) -> ActionToken:
    return ActionToken(
        hash=hashed,
        purpose=Purpose(data["purpose"]),
        user_id=data["user_id"],
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        email=data["email"],
        password=data["password"],
        spent_at=data.get("spent_at"),
        email_version=data.get("email_version", 0),
        undo=data.get("undo", ""),
    )


def send_log_from_doc(data: dict[str, Any] | None) -> SendLog:
    if data is None:
        return SendLog()
    sent, notices = (
        tuple((str(item["job"]), item["at"]) for item in data.get(name, []))
        for name in ("sent", "notices")
    )
    latest = data.get("latest")
    newest = latest.items() if isinstance(latest, dict) else ()
    return SendLog(
        sent=sent, latest=tuple((Purpose(p), str(h)) for p, h in newest), notices=notices
    )


def send_log_to_doc(user_id: str, sends: SendLog) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "sent": [{"job": job, "at": at} for job, at in sends.sent],
        "latest": {purpose.value: hashed for purpose, hashed in sends.latest},
        "notices": [{"job": job, "at": at} for job, at in sends.notices],
    }


@translates_errors
class FirestoreActionTokenRepository:
    def __init__(
        self, client: firestore.Client, *, copies: TokenVersionCopies = NO_TOKEN_VERSION_COPIES
    ) -> None:
        self._client = client
        self._tokens = client.collection(ACTION_TOKENS)
        # A spend that ends every session (a password reset) moves the memberships' copies
        # of token_version first, as the user repository does (application/ports.py).
        self._copies = copies
        self._sends = client.collection(MAIL_SENDS)

    def _send_log(self, user_id: str) -> firestore.DocumentReference:
        return self._sends.document(user_id)

    def add(self, token: ActionToken, job_id: str, now: datetime, *, always: bool = False) -> bool:
        return self._count(token.user_id, job_id, now, token=token, always=always)

    def count_mail(self, user_id: str, job_id: str, now: datetime, *, always: bool = False) -> bool:
        return self._count(user_id, job_id, now, always=always)

    def _count(
        self,
        user_id: str,
        job_id: str,
        now: datetime,
        *,
        token: ActionToken | None = None,
        always: bool = False,
    ) -> bool:
        log_ref = self._send_log(user_id)

        def attempt() -> bool:
            # Compare-and-set on the log: read without a lock, written only if unchanged
            # since (or created only if still absent); a send counted meanwhile means read
            # again, so every send is counted once.
            snap = log_ref.get(**BOUNDED)
            before = send_log_from_doc(snap.to_dict() if snap.exists else None)
            sends = before.counting(job_id, now, token, always=always)
            if sends is None:
                return False
            batch = self._client.batch()
            if token is not None:
                batch.set(self._tokens.document(token.hash), token_to_doc(token))
            if snap.exists:
                batch.update(log_ref, send_log_to_doc(user_id, sends), option=unchanged_since(snap))
            else:
                batch.create(log_ref, send_log_to_doc(user_id, sends))
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                raise Stale from None  # the first send's log was made meanwhile
            return True

        return until_unchanged(attempt)

    def get(self, hashed: str) -> ActionToken | None:
        data = read_document(self._client, self._tokens.document(hashed))
        return token_from_doc(hashed, data) if data is not None else None

    def spend(
        self, hashed: str, purpose: Purpose, change: Callable[[User], User], now: datetime
    ) -> User:
        token_ref = self._tokens.document(hashed)
        snap = token_ref.get(**BOUNDED)
        if not snap.exists:
            raise InvalidToken()
        token = token_from_doc(hashed, snap.to_dict() or {})
        if token.spent_at is not None or token.purpose is not purpose:
            raise InvalidToken()  # a token of another purpose is refused and stays usable
        # Claim it first with a precondition, without locks: of concurrent uses exactly one
        # write lands, the others fail fast (400, not a transaction contended into a 503).
        try:
            claimed = token_ref.update(
                {"spent_at": now},
                option=self._client.write_option(last_update_time=snap.update_time),
                **BOUNDED,
            )
        except exceptions.FailedPrecondition:
            raise InvalidToken() from None
        user_ref = self._client.collection(USERS).document(token.user_id)
        log_ref = self._send_log(token.user_id)
        revokes = False  # whether the change moves token_version

        def attempt() -> User:
            nonlocal revokes
            # The user is written only if unchanged since it was read (compare-and-set).
            # The log is only read: a newer token issued after that read orders after this
            # spend, as if it had come later.
            refs = [user_ref, log_ref]
            found = {s.reference.path: s for s in self._client.get_all(refs, **BOUNDED)}
            user_snap, log_snap = found[user_ref.path], found[log_ref.path]
            user = (
                user_from_doc(token.user_id, user_snap.to_dict() or {})
                if user_snap.exists
                else None
            )
            latest = send_log_from_doc(log_snap.to_dict() if log_snap.exists else None).latest_of(
                purpose
            )
            # A void token stays spent: it could never have been used anyway.
            checked = token.check(purpose, user, now, latest)
            changed = change(checked)
            revokes = changed.token_version != checked.token_version
            if revokes:
                self._copies.hold(changed.id, changed.token_version)
            batch = self._client.batch()
            batch.update(user_ref, user_to_doc(changed), option=unchanged_since(user_snap))
            # Written with the change, so a release (below) can tell that the change landed.
            batch.update(token_ref, {"applied": True})
            # Not sent again on an outage: had the first landed, the user's check would now
            # refuse the token; an outage here releases the claim unless the change landed.
            batch.commit(**ONCE)
            return changed

        try:
            spent = until_unchanged(attempt)
        except InvalidToken:
            raise
        except Exception:
            self._release(token_ref, claimed.update_time)
            raise
        if revokes:
            self._copies.hold(spent.id, spent.token_version)  # a membership made meanwhile
        return spent

    def _release(self, token_ref: firestore.DocumentReference, claimed_at: Any) -> None:
        """Undo a claim whose change failed, so the token is not lost; only if the document
        is as the claim left it (a change that landed although its commit answered with an
        error wrote it too, and the token stays spent)."""
        try:
            token_ref.update(
                {"spent_at": None},
                option=self._client.write_option(last_update_time=claimed_at),
                **BOUNDED,
            )
        except exceptions.FailedPrecondition:
            pass
        except (exceptions.GoogleAPICallError, exceptions.RetryError):
            log.warning("a claimed action token could not be released; it stays spent")
