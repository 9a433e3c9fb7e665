"""The SAML assertions already used, in ``saml_assertions/{key}`` until their ``expires_at``
(Firestore's TTL deletes them): an assertion is accepted once (application/sso/signin/saml.py).
The key hashes the connection with the assertion's id, which the IdP chose and may hold
any character."""

from __future__ import annotations

import hashlib
from datetime import datetime

from infrastructure.firestore.client import BOUNDED
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import exceptions, firestore

SPENT_ASSERTIONS = "saml_assertions"


def spent_key(connection_id: str, assertion_id: str) -> str:
    return hashlib.sha256(f"{connection_id}\n{assertion_id}".encode()).hexdigest()


@translates_errors
class FirestoreSpentAssertions:
    def __init__(self, client: firestore.Client) -> None:
        self._spent = client.collection(SPENT_ASSERTIONS)

    def spend(self, connection_id: str, assertion_id: str, expires_at: datetime) -> bool:
        try:
            self._spent.document(spent_key(connection_id, assertion_id)).create(
                {"connection_id": connection_id, "expires_at": expires_at}, **BOUNDED
            )
        except exceptions.AlreadyExists:
            return False
        return True
