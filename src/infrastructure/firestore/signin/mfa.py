"""Authenticators (``mfa/{user_id}``) and login challenges (``mfa_challenges/{sha256}``).

Changes are compare-and-set on the document's update time, like sessions: thirty requests
racing to spend one challenge or one code each read, and exactly one write lands; the
others read again and find it spent (docs/decisions/0111-mfa-token-and-code-replay.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from domain.signin.mfa import MfaChallenge, TotpFactor
from infrastructure.firestore.client import BOUNDED, read_document
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

FACTORS, CHALLENGES = "mfa", "mfa_challenges"

T = TypeVar("T")


def factor_to_doc(factor: TotpFactor) -> dict[str, Any]:
    return {
        "user_id": factor.user_id,
        "secret": factor.secret,  # sealed with MFA_ENCRYPTION_KEY
        "active": factor.active,
        "created_at": factor.created_at,
        "updated_at": factor.updated_at,
        "last_step": factor.last_step,
        "recovery_hashes": list(factor.recovery_hashes),
    }


def factor_from_doc(data: dict[str, Any]) -> TotpFactor:
    return TotpFactor(
        user_id=data["user_id"],
        secret=data["secret"],
        active=data["active"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        last_step=data.get("last_step", -1),
        recovery_hashes=tuple(data.get("recovery_hashes", ())),
    )


def challenge_to_doc(challenge: MfaChallenge) -> dict[str, Any]:
    return {
        "user_id": challenge.user_id,
        "login_key": challenge.login_key,
        "first_factor": list(challenge.first_factor),
        "created_at": challenge.created_at,
        "expires_at": challenge.expires_at,  # a Firestore TTL policy on this field reaps them
        "device_id": challenge.device_id,
        "via": challenge.via,
        "wrong_codes": challenge.guesses,  # the codes tried (the field's name of before)
        "last_guess": challenge.last_guess,
        "spent_at": challenge.spent_at,
        "spent_by": challenge.spent_by,
        "method": challenge.method,
        "reason": challenge.reason,
        "org_id": challenge.org_id,
    }


def challenge_from_doc(token_hash: str, data: dict[str, Any]) -> MfaChallenge:
    return MfaChallenge(
        token_hash=token_hash,
        user_id=data["user_id"],
        login_key=data["login_key"],
        first_factor=tuple(data["first_factor"]),
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        device_id=data.get("device_id"),
        via=data.get("via"),
        guesses=data.get("wrong_codes", 0),
        last_guess=data.get("last_guess"),
        spent_at=data.get("spent_at"),
        spent_by=data.get("spent_by"),
        method=data.get("method"),
        reason=data.get("reason"),
        org_id=data.get("org_id"),
    )


@translates_errors
class FirestoreMfaRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._factors = client.collection(FACTORS)
        self._challenges = client.collection(CHALLENGES)

    def get(self, user_id: str) -> TotpFactor | None:
        data = read_document(self._client, self._factors.document(user_id))
        return factor_from_doc(data) if data is not None else None

    def begin(self, factor: TotpFactor) -> bool:
        ref = self._factors.document(factor.user_id)

        def attempt() -> bool:
            snap = ref.get(**BOUNDED)
            try:
                if not snap.exists:
                    ref.create(factor_to_doc(factor), **BOUNDED)
                elif factor_from_doc(snap.to_dict() or {}).active:
                    return False
                else:  # every field: the pending factor is replaced
                    ref.update(factor_to_doc(factor), option=unchanged_since(snap), **BOUNDED)
            except (exceptions.AlreadyExists, exceptions.NotFound):
                raise Stale from None  # created or removed meanwhile: read again
            return True

        return until_unchanged(attempt)

    def create(self, factor: TotpFactor) -> bool:
        try:
            self._factors.document(factor.user_id).create(factor_to_doc(factor), **BOUNDED)
        except exceptions.AlreadyExists:
            return False
        return True

    def update(
        self, user_id: str, change: Callable[[TotpFactor], TotpFactor | None]
    ) -> TotpFactor | None:
        return self._compare_and_set(
            self._factors.document(user_id),
            factor_from_doc,
            change,
            factor_to_doc,
        )

    def delete(self, user_id: str) -> None:
        self._factors.document(user_id).delete(**BOUNDED)

    def add_challenge(self, challenge: MfaChallenge) -> None:
        # The key is the hash of a fresh 256-bit token: AlreadyExists can only mean that a
        # retried create had in fact succeeded the first time.
        try:
            self._challenges.document(challenge.token_hash).create(
                challenge_to_doc(challenge), **BOUNDED
            )
        except exceptions.AlreadyExists:
            return

    def get_challenge(self, token_hash: str) -> MfaChallenge | None:
        data = read_document(self._client, self._challenges.document(token_hash))
        return challenge_from_doc(token_hash, data) if data is not None else None

    def update_challenge(
        self, token_hash: str, change: Callable[[MfaChallenge], MfaChallenge]
    ) -> MfaChallenge | None:
        return self._compare_and_set(
            self._challenges.document(token_hash),
            lambda data: challenge_from_doc(token_hash, data),
            change,
            challenge_to_doc,
        )

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        self.delete(user_id)

    def _compare_and_set(
        self,
        ref: firestore.DocumentReference,
        read: Callable[[dict[str, Any]], T],
        change: Callable[[T], T | None],
        to_doc: Callable[[T], dict[str, Any]],
    ) -> T | None:
        """Read, change, write only if the document is as it was read; again if not.
        A transaction would lock: racers would abort each other until their retries ran out."""

        def attempt() -> T | None:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return None
            before = read(snap.to_dict() or {})
            after = change(before)
            if after is None or after == before:
                return after
            try:
                ref.update(to_doc(after), option=unchanged_since(snap), **BOUNDED)
            except exceptions.NotFound:
                raise Stale from None  # removed meanwhile: the next read says so
            return after

        return until_unchanged(attempt)
