"""The challenge tokens already presented (docs/security.md, "A challenge on signals"): one
document per token's hash, created once; a TTL policy on ``expires_at`` removes it."""

from __future__ import annotations

from datetime import datetime

from infrastructure.firestore.client import commit
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.reads import Exists, Write
from infrastructure.firestore.sdk import firestore

SPENT_CHALLENGES = "spent_challenges"


@translates_errors
class FirestoreSpentChallenges:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def spend(self, token_hash: str, expires_at: datetime) -> bool:
        write = Write(f"{SPENT_CHALLENGES}/{token_hash}", {"expires_at": expires_at}, create=True)
        try:
            commit(self._client, [write])
        except Exists:
            return False
        return True
