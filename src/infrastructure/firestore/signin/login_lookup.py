"""POST /login's reads: the name's claim and the failure records in one round trip, then
the account (docs/decisions/0015-login-round-trips.md)."""

from __future__ import annotations

from collections.abc import Sequence

from application.signin.login import LoginRecords
from domain.accounts.users import User
from infrastructure.firestore.accounts.users import FirestoreUserRepository, claims_for
from infrastructure.firestore.client import claim_id, read_documents
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import firestore
from infrastructure.firestore.signin.login_failures import failure_ref, record_from_doc


@translates_errors
class FirestoreLoginLookup:
    """POST /login's reads: the name's claim and the failure records in one
    BatchGetDocuments, then the account (docs/decisions/0015-login-round-trips.md)."""

    def __init__(self, client: firestore.Client, *, users: FirestoreUserRepository) -> None:
        self._client = client
        self._users = users  # the account a claim names

    def load(self, login_key: str, throttle_keys: Sequence[str]) -> LoginRecords:
        refs = [failure_ref(self._client, key) for key in throttle_keys]
        if login_key:
            refs.append(
                self._client.collection(claims_for(login_key)).document(claim_id(login_key))
            )
        found = read_documents(self._client, refs)
        failures = {
            key: record_from_doc(data)
            for key, data in zip(throttle_keys, found[: len(throttle_keys)], strict=True)
            if data is not None
        }
        claim = found[-1] if login_key else None
        user_id = claim.get("user_id") if claim is not None else None
        return LoginRecords(failures, user_id if isinstance(user_id, str) else None)

    def user(self, user_id: str | None) -> User | None:
        return self._users.live(user_id)
