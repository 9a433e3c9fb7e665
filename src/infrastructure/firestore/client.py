"""One Firestore client per process, built after gunicorn forks (gRPC does not survive fork).

Every call gets an explicit retry budget and deadline, so a Firestore outage becomes a 503
within seconds instead of a request that hangs on the client library's defaults (seen: a
transaction's begin retried for 46 s and then failed with a ValueError).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from google.api_core import exceptions
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from domain.errors import Unavailable

DEADLINE_SECONDS = 8.0
RETRY = Retry(
    initial=0.1,
    maximum=1.0,
    multiplier=2.0,
    timeout=DEADLINE_SECONDS,
    predicate=if_exception_type(
        exceptions.ServiceUnavailable, exceptions.InternalServerError, exceptions.TooManyRequests
    ),
)
# Keyword arguments for every single Firestore call.
BOUNDED: dict[str, Any] = {"retry": RETRY, "timeout": DEADLINE_SECONDS}


def make_client(project: str) -> firestore.Client:
    if os.environ.get("FIRESTORE_EMULATOR_HOST"):
        return firestore.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return firestore.Client(project=project)


class BoundedTransaction(firestore.Transaction):
    """A transaction whose begin and commit RPCs carry our retry budget and deadline.

    The library calls both without retry/timeout arguments (google-cloud-firestore 2.34.1);
    everything else is unchanged. tests/integration covers it with Firestore unreachable.
    """

    def _begin(self, retry_id: bytes | None = None) -> None:
        if self.in_progress:
            raise ValueError("transaction already begun")
        response = self._client._firestore_api.begin_transaction(
            request={
                "database": self._client._database_string,
                "options": self._options_protobuf(retry_id),
            },
            metadata=self._client._rpc_metadata,
            **BOUNDED,
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
            timeout=DEADLINE_SECONDS,  # no retry: a repeated commit could apply twice
            retry=None,
        )
        self._clean_up()
        self.write_results = list(response.write_results)
        return self.write_results


def transaction(client: firestore.Client, max_attempts: int = 10) -> BoundedTransaction:
    return BoundedTransaction(client, max_attempts=max_attempts)


T = TypeVar("T")


def run_transaction(
    client: firestore.Client,
    body: Callable[[firestore.Transaction], T],
    max_attempts: int = 10,
) -> T:
    """Run ``body`` in a bounded transaction, retried on contention.

    The library ends a transaction that kept aborting with a bare ValueError; that is
    contention, answered as a 503 with Retry-After, not a 500.
    """
    try:
        result: T = firestore.transactional(body)(transaction(client, max_attempts))
    except ValueError as exc:
        if isinstance(exc.__cause__, exceptions.Aborted):
            raise Unavailable("Too many concurrent changes; try again.", retry_after=1) from exc
        raise
    return result


def claim_id(normalized: str) -> str:
    """A valid, injective document id for a normalized name or e-mail address.

    Ids may not contain '/' nor match ``__.*__``; e-mail local parts may contain both.
    """
    escaped = normalized.replace("%", "%25").replace("/", "%2F")
    if escaped.startswith("__") and escaped.endswith("__"):
        escaped = "%5F" + escaped[1:]
    return escaped
