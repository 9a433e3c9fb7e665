"""The SMS budget's counters: ``sms_budgets/{prefix}@{hour}``, one document per number
prefix and clock hour, shared by every instance
(docs/decisions/0533-phone-numbers-and-their-sms-budget.md).

A spend is one write and no read: a server-side ``Increment(1)`` of ``count``, and of
``fresh`` for a number without an account, whose results come back in the write's answer.
Firestore applies the increments of one document one after another, so each of any number of
concurrent spends gets its own counts, and only the first ``budget`` of them are at or under
it. Blind increments never abort each other as transactions would. A
spend retried after a lost answer counts twice: the budget errs on the side of sending less.
``expires`` is the hour's end, for a TTL policy (firestore.indexes.json).
"""

from __future__ import annotations

from datetime import datetime

from domain.phone.numbers import SmsCount
from infrastructure.firestore.client import BOUNDED, claim_id
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import firestore

SMS_BUDGETS = "sms_budgets"


@translates_errors
class FirestoreSmsCounts:
    def __init__(self, client: firestore.Client) -> None:
        self._collection = client.collection(SMS_BUDGETS)

    def spend(self, key: str, expires: datetime, *, fresh: bool) -> SmsCount:
        ref = self._collection.document(claim_id(key))
        # Both fields are transformed (the other by 0) so that both come back; Firestore
        # answers a write's transforms in the order of their fields' paths: count, fresh.
        counts = {"count": firestore.Increment(1), "fresh": firestore.Increment(int(fresh))}
        result = ref.set({**counts, "expires": expires}, merge=True, **BOUNDED)
        values = [int(value.integer_value) for value in result.transform_results]
        if len(values) != len(counts):
            raise RuntimeError(f"expected the counts from Firestore, got {values}")
        count, fresh_count = values
        return SmsCount(count, fresh_count)
