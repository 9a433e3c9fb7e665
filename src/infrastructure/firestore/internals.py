"""The only module in firegate that touches google-cloud-firestore's private names, for one
measured need; tests/unit/test_firestore_internals.py fails when the library changes what it
uses.

``BoundedTransaction``: google-cloud-firestore 2.34.1 calls BeginTransaction and Commit with
the library's defaults (retried up to 60 s) and offers no public way to pass others: neither
``Client``, ``client.transaction()`` nor ``firestore.transactional`` takes a retry or
timeout, and the client builds its own gRPC channel. So it overrides the private
``Transaction._begin`` and ``Transaction._commit``
(docs/decisions/0031-bounded-firestore-transactions.md).
"""

from __future__ import annotations

from typing import Any

from google.api_core.retry import Retry

from infrastructure.firestore.sdk import firestore


class BoundedTransaction(firestore.Transaction):
    def __init__(
        self, client: firestore.Client, *, max_attempts: int, retry: Retry, timeout: float
    ) -> None:
        super().__init__(client, max_attempts=max_attempts)
        self.bounds_retry = retry
        self.bounds_timeout = timeout

    def _begin(self, retry_id: bytes | None = None) -> None:
        if self.in_progress:
            raise ValueError("transaction already begun")
        response = self._client._firestore_api.begin_transaction(
            request={
                "database": self._client._database_string,
                "options": self._options_protobuf(retry_id),
            },
            metadata=self._client._rpc_metadata,
            retry=self.bounds_retry,
            timeout=self.bounds_timeout,
        )
        self._id = response.transaction

    def _commit(self) -> list[Any]:
        if not self.in_progress:
            raise ValueError("no transaction in progress")
        response = self._client._firestore_api.commit(
            request={
                "database": self._client._database_string,
                "writes": self._write_pbs,
                "transaction": self._id,
            },
            metadata=self._client._rpc_metadata,
            timeout=self.bounds_timeout,  # no retry: a repeated commit could apply twice
            retry=None,
        )
        self._clean_up()
        self.write_results = list(response.write_results)
        self.commit_time = response.commit_time
        return self.write_results
