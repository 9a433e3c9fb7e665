"""Passkeys and WebAuthn challenges in Firestore.

``passkeys/{id}`` (the id derives from the credential id: one read finds a sign-in's key);
``webauthn_challenges/{sha256 of the challenge}``, removed by the one answer that spends it
and reaped by a TTL policy on ``expires_at`` when nobody answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.accounts.users import User
from domain.errors import Conflict
from domain.errors import NotFound as NoAccount
from domain.signin.passkeys import Ceremony, Challenge, Passkey
from infrastructure.firestore.accounts.identities import ways_in_moved
from infrastructure.firestore.accounts.users import USERS, user_from_doc
from infrastructure.firestore.client import BOUNDED, delete_in_batches, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Select, Stale
from infrastructure.firestore.sdk import exceptions, firestore

PASSKEYS = "passkeys"
CHALLENGES = "webauthn_challenges"


def passkey_to_doc(passkey: Passkey) -> dict[str, Any]:
    return {
        "user_id": passkey.user_id,
        "credential_id": passkey.credential_id,
        "public_key": passkey.public_key,
        "sign_count": passkey.sign_count,
        "name": passkey.name,
        "created_at": passkey.created_at,
        "last_used_at": passkey.last_used_at,
        "backed_up": passkey.backed_up,
        "transports": list(passkey.transports),
    }


def passkey_from_doc(passkey_id: str, data: dict[str, Any]) -> Passkey:
    return Passkey(
        id=passkey_id,
        user_id=data["user_id"],
        credential_id=bytes(data["credential_id"]),
        public_key=bytes(data["public_key"]),
        sign_count=data["sign_count"],
        name=data["name"],
        created_at=data["created_at"],
        last_used_at=data.get("last_used_at"),
        backed_up=data.get("backed_up", False),
        transports=tuple(data.get("transports", ())),
    )


@translates_errors
class FirestorePasskeyRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._passkeys = client.collection(PASSKEYS)

    def add(self, passkey: Passkey) -> None:
        try:
            self._passkeys.document(passkey.id).create(passkey_to_doc(passkey), **BOUNDED)
        except exceptions.AlreadyExists:
            raise Conflict("This passkey is registered already.", code="passkey_exists") from None

    def get(self, passkey_id: str) -> Passkey | None:
        snap = self._passkeys.document(passkey_id).get(**BOUNDED)
        return passkey_from_doc(snap.id, snap.to_dict() or {}) if snap.exists else None

    def list_for_user(self, user_id: str, limit: int) -> list[Passkey]:
        # No order_by: it would need a composite index; a user has a handful of keys.
        query = Select(PASSKEYS, (("user_id", user_id),), limit=limit)
        found = [
            passkey_from_doc(passkey_id, data)
            for passkey_id, data in run_query(self._client, query)
        ]
        return sorted(found, key=lambda p: (p.created_at, p.id))

    def update(self, passkey_id: str, change: Callable[[Passkey], Passkey]) -> Passkey | None:
        # Compare-and-set on the update time (docs/decisions/0060-renames-by-compare-and-set.md):
        # two sign-ins with one counter value cannot both move it.
        ref = self._passkeys.document(passkey_id)

        def attempt() -> Passkey | None:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return None
            before = passkey_from_doc(passkey_id, snap.to_dict() or {})
            after = change(before)
            if after == before:
                return after
            try:
                ref.update(passkey_to_doc(after), option=unchanged_since(snap), **BOUNDED)
            except exceptions.NotFound:
                raise Stale() from None
            return after

        return until_unchanged(attempt)

    def delete(self, passkey_id: str) -> None:
        self._passkeys.document(passkey_id).delete(**BOUNDED)

    def delete_guarded(
        self, passkey_id: str, user_id: str, decide: Callable[[User], None], now: datetime
    ) -> None:
        ref = self._client.collection(USERS).document(user_id)

        def attempt() -> None:
            # The account first (as FirestoreIdentityRepository.unlink): a removal of another
            # way in after this read moved its update time, so this commit fails and is
            # decided again on what is left.
            snap = ref.get(**BOUNDED)
            data = snap.to_dict() or {}
            if not snap.exists or data.get("deleted_at") is not None:
                raise NoAccount("This account does not exist.", code="user_not_found")
            decide(user_from_doc(user_id, data))
            batch = self._client.batch()
            batch.update(ref, {"updated_at": now, **ways_in_moved()}, option=unchanged_since(snap))
            batch.delete(self._passkeys.document(passkey_id))
            batch.commit(**BOUNDED)

        until_unchanged(attempt)

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        query = self._passkeys.where(filter=firestore.FieldFilter("user_id", "==", user_id))
        delete_in_batches(self._client, query, batch_size)


@translates_errors
class FirestoreChallengeRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._challenges = client.collection(CHALLENGES)

    def add(self, challenge: Challenge) -> None:
        self._challenges.document(challenge.key).set(
            {
                "ceremony": challenge.ceremony.value,
                "user_id": challenge.user_id,
                "expires_at": challenge.expires_at,  # a TTL policy on it reaps the unanswered
                "conditional": challenge.conditional,
            },
            **BOUNDED,
        )

    def spend(self, key: str) -> Challenge | None:
        ref = self._challenges.document(key)
        snap = ref.get(**BOUNDED)
        if not snap.exists:
            return None
        # A delete guarded by the update time read: of concurrent spends exactly one lands;
        # the others fail their precondition at once (no lock, no retry).
        try:
            ref.delete(option=unchanged_since(snap), **BOUNDED)
        except (exceptions.FailedPrecondition, exceptions.NotFound):
            return None
        data = snap.to_dict() or {}
        return Challenge(
            key=key,
            ceremony=Ceremony(data["ceremony"]),
            user_id=data.get("user_id"),
            expires_at=data["expires_at"],
            conditional=data.get("conditional", False),
        )
