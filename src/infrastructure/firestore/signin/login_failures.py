"""Failed-login counters in ``login_failures/{sha256(key)}``, shared by every instance.

Keys hold login names and addresses: documents are named by their SHA-256 and store only the
kind of key, so the collection is no list of who tried which name.

A guess is counted before it is checked (``reserve``) and taken back when right
(``release``), so a burst gets its budget and no more. Counting is a compare-and-set (read,
then a batch whose writes require the documents to be unchanged since; a key no record was
read for is created, which fails if one was made meanwhile), not a transaction: parallel
failures on one key are exactly what an attack looks like, and transactions holding locks on
a hot document abort one another (the emulator gave up on most of 16 parallel ones). A lost
race costs one more read and write, after a short random pause; someone wins every round.

A release after others counted takes its failure back by a server-side increment of
``taken_back.<window>``, the window it was counted in: a record cleared and made again since
has another window, so a late release takes nothing from it (docs/decisions/0965).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from application.signin.throttle import Reservation
from domain.errors import RateLimited
from domain.signin.throttling import (
    TOO_MANY_LOGIN_FAILURES,
    FailureRecord,
    ThrottleRule,
    refusal,
    released,
)
from infrastructure.firestore.client import BOUNDED, read_documents
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

log = logging.getLogger(__name__)
LOGIN_FAILURES = "login_failures"
ATTEMPTS = 30


TAKEN_BACK = "taken_back"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_id(window_start: datetime) -> str:
    """The name a window's taken-back failures are counted under: its start, in whole
    microseconds (what Firestore keeps of a time), as a plain field name."""
    return f"w{(window_start - _EPOCH) // timedelta(microseconds=1)}"


def record_to_doc(key: str, record: FailureRecord, rule: ThrottleRule) -> dict[str, Any]:
    return {
        "kind": key.partition(":")[0],
        "failures": record.failures,
        "window_start": record.window_start,
        "blocked_until": record.blocked_until,
        "strikes": record.strikes,
        TAKEN_BACK: {},  # what was taken back is already out of ``failures``
        "expires_at": record.expires_at(rule),  # for a Firestore TTL policy
    }


def record_from_doc(data: dict[str, Any]) -> FailureRecord:
    """The record, less the failures taken back in its window (those taken back in an
    earlier window, by releases that read it before it was cleared, count for nothing)."""
    window_start = data["window_start"]
    taken_back = (data.get(TAKEN_BACK) or {}).get(window_id(window_start), 0)
    return FailureRecord(
        failures=data["failures"] - taken_back,
        window_start=window_start,
        blocked_until=data.get("blocked_until"),
        strikes=data.get("strikes", 0),
    )


def _since(version: Any) -> Any:
    """A write precondition: the document is unchanged since ``version`` (its update time)."""
    return firestore.LastUpdateOption(version)


Versioned = dict[str, tuple[FailureRecord | None, Any]]  # each key's record and update time


def _commit(batch: firestore.WriteBatch) -> list[Any]:
    """Commit ``batch``; Stale when a record it was built from changed or appeared since."""
    try:
        return list(batch.commit(**BOUNDED))
    except (exceptions.FailedPrecondition, exceptions.AlreadyExists, exceptions.NotFound):
        raise Stale from None


def _contended() -> Exception:
    return RateLimited(
        "Too many failed logins; try again later.", retry_after=5, code=TOO_MANY_LOGIN_FAILURES
    )


class _GaveUp(Exception):
    """A release lost every round: the failure stays counted."""


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

    def reserve(
        self,
        rules: Sequence[tuple[str, ThrottleRule]],
        now: datetime,
        seen: Mapping[str, FailureRecord] | None = None,
    ) -> Reservation:
        targets = [(key, rule, self._ref(key)) for key, rule in rules]
        # Keys a read just found no record for need no second read: they are created, and
        # a record made meanwhile fails the create and sends the next round to a read.
        unread = seen is not None and not any(key in seen for key, _ in rules)

        def attempt() -> Reservation:
            nonlocal unread
            if unread:
                unread = False
                current: Versioned = {key: (None, None) for key, _, _ in targets}
            else:
                current = self._read_versioned(targets)
            refused = refusal({k: r for k, (r, _) in current.items() if r is not None}, now)
            if refused is not None:
                raise refused
            batch = self._client.batch()
            after: dict[str, FailureRecord] = {}
            for key, rule, ref in targets:
                before, version = current[key]
                if before is None:
                    after[key] = FailureRecord.first(now, rule)
                    batch.create(ref, record_to_doc(key, after[key], rule))
                else:
                    after[key] = before.after_failure(now, rule)
                    batch.update(ref, record_to_doc(key, after[key], rule), option=_since(version))
            # A retried commit that had in fact succeeded fails its precondition and counts
            # once more: stricter, never laxer.
            results = _commit(batch)
            return Reservation(
                rules=tuple(rules),
                before={key: record for key, (record, _) in current.items()},
                after=after,
                versions={
                    key: result.update_time
                    for (key, _, _), result in zip(targets, results, strict=True)
                },
            )

        # Dozens of parallel guesses on one key are an attack in progress: refuse this one.
        return until_unchanged(attempt, attempts=ATTEMPTS, exhausted=_contended)

    def release(self, reservation: Reservation, clear: Sequence[str] = ()) -> None:
        targets = [
            (key, rule, self._ref(key)) for key, rule in reservation.rules if key not in clear
        ]
        # First as this guess left them (its own commit's update times), unless somebody
        # counted since: then read again.
        current: Versioned = {
            key: (reservation.after[key], reservation.versions[key]) for key, _, _ in targets
        }

        def attempt() -> None:
            nonlocal current
            batch = self._client.batch()
            for key in clear:
                batch.delete(self._ref(key))  # deleting a missing document is no error
            writes = len(clear)
            for key, rule, ref in targets:
                now, version = current[key]
                then = released(now, reservation.before[key], reservation.after[key])
                if now is None or then == now:
                    continue
                writes += 1
                if then is None:
                    batch.delete(ref, option=_since(version))
                elif now != reservation.after[key]:
                    # Others counted since: one failure fewer, as a server-side increment,
                    # which no parallel guess can make stale (thirty releases of one key
                    # would otherwise take turns for as many rounds). It is counted under
                    # the window this guess counted in, so it takes nothing from a record
                    # cleared and made again since it was read. An update of a record
                    # deleted meanwhile fails and the next round reads it gone.
                    taken_back = f"{TAKEN_BACK}.{window_id(now.window_start)}"
                    batch.update(ref, {taken_back: firestore.Increment(1)})
                else:
                    batch.update(ref, record_to_doc(key, then, rule), option=_since(version))
            if writes:
                try:
                    _commit(batch)
                except Stale:
                    current = self._read_versioned(targets)
                    raise

        try:
            until_unchanged(attempt, attempts=ATTEMPTS, exhausted=_GaveUp)
        except _GaveUp:
            log.warning("a right guess could not take its failure back: it stays counted")

    def _read_versioned(
        self, targets: Sequence[tuple[str, ThrottleRule, firestore.DocumentReference]]
    ) -> Versioned:
        """Each key's record (None: no record) and its update time, in one round trip."""
        refs = [ref for _, _, ref in targets]
        snaps = {snap.reference.path: snap for snap in self._client.get_all(refs, **BOUNDED)}
        current: Versioned = {}
        for key, _, ref in targets:
            snap = snaps.get(ref.path)
            if snap is not None and snap.exists:
                current[key] = (record_from_doc(snap.to_dict() or {}), snap.update_time)
            else:
                current[key] = (None, None)
        return current

    def reset(self, key: str) -> None:
        self._ref(key).delete(**BOUNDED)  # deleting a missing document is no error
