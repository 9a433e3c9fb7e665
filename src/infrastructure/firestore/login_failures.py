"""Failed-login counters in ``login_failures/{sha256(key)}``, shared by every instance.

Keys hold login names and addresses: documents are named by their SHA-256 and store only the
kind of key, so the collection is no list of who tried which name.

Counting is a compare-and-set (read, then a batch whose writes require the documents to be
unchanged since), not a transaction: parallel failures on one key are exactly what an attack
looks like, and transactions holding locks on a hot document abort one another (the emulator
gave up on most of 16 parallel ones). A lost race costs one more read and write, after a short
random pause; someone wins every round.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists, FailedPrecondition, NotFound
from google.cloud import firestore

from domain.errors import RateLimited
from domain.throttling import FailureRecord, ThrottleRule
from infrastructure.firestore.client import BOUNDED, read_documents
from infrastructure.firestore.errors import translates_errors

LOGIN_FAILURES = "login_failures"
ATTEMPTS = 30
_LOST_RACE = (FailedPrecondition, AlreadyExists, NotFound)


def record_to_doc(key: str, record: FailureRecord, rule: ThrottleRule) -> dict[str, Any]:
    return {
        "kind": key.partition(":")[0],
        "failures": record.failures,
        "window_start": record.window_start,
        "blocked_until": record.blocked_until,
        "strikes": record.strikes,
        "expires_at": record.expires_at(rule),  # for a Firestore TTL policy
    }


def record_from_doc(data: dict[str, Any]) -> FailureRecord:
    return FailureRecord(
        failures=data["failures"],
        window_start=data["window_start"],
        blocked_until=data.get("blocked_until"),
        strikes=data.get("strikes", 0),
    )


def failure_ref(client: firestore.Client, key: str) -> firestore.DocumentReference:
    return client.collection(LOGIN_FAILURES).document(hashlib.sha256(key.encode()).hexdigest())


@translates_errors
class FirestoreLoginThrottle:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def _ref(self, key: str) -> firestore.DocumentReference:
        return failure_ref(self._client, key)

    def load(self, keys: Sequence[str]) -> dict[str, FailureRecord]:
        refs = [self._ref(key) for key in keys]
        found = read_documents(self._client, refs)
        return {
            key: record_from_doc(data)
            for key, data in zip(keys, found, strict=True)
            if data is not None
        }

    def record_failure(
        self, rules: Sequence[tuple[str, ThrottleRule]], now: datetime
    ) -> dict[str, FailureRecord]:
        targets = [(key, rule, self._ref(key)) for key, rule in rules]
        for attempt in range(ATTEMPTS):
            refs = [ref for _, _, ref in targets]
            snaps = {snap.reference.path: snap for snap in self._client.get_all(refs, **BOUNDED)}
            batch = self._client.batch()
            updated: dict[str, FailureRecord] = {}
            for key, rule, ref in targets:
                snap = snaps.get(ref.path)
                if snap is not None and snap.exists:
                    record = record_from_doc(snap.to_dict() or {}).after_failure(now, rule)
                    unchanged = self._client.write_option(last_update_time=snap.update_time)
                    batch.update(ref, record_to_doc(key, record, rule), option=unchanged)
                else:
                    record = FailureRecord.first(now, rule)
                    batch.create(ref, record_to_doc(key, record, rule))
                updated[key] = record
            try:
                # A retried commit that had in fact succeeded fails its precondition and
                # counts once more: stricter, never laxer.
                batch.commit(**BOUNDED)
            except _LOST_RACE:
                time.sleep(secrets.randbelow(10 * (attempt + 1)) / 1000)
                continue
            return updated
        # Dozens of parallel failures on one key are an attack in progress: refuse this one.
        raise RateLimited(
            "Too many failed logins; try again later.",
            retry_after=5,
            code="too_many_login_failures",
        )

    def reset(self, key: str) -> None:
        self._ref(key).delete(**BOUNDED)  # deleting a missing document is no error
