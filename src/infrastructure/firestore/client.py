"""One Firestore client per process, built after gunicorn forks (gRPC does not survive fork).

Every call gets an explicit retry budget and deadline, so a Firestore outage becomes a 503
within seconds instead of a request that hangs on the client library's defaults (seen: a
transaction's begin retried for 46 s and then failed with a ValueError).
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from google.api_core import exceptions
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1 import _helpers

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
# A commit Firestore aborted (contention: it serialises writes to a document) applied
# nothing, so it may be sent again; this many times in all, then 503.
MAX_ABORTED_COMMITS = 5


def pause_after_abort(attempt: int) -> None:
    """Before sending a commit again after its ``attempt``-th abort: 25-50 ms, doubling."""
    time.sleep(random.uniform(0.5, 1.0) * min(0.05 * 2 ** (attempt - 1), 1.0))  # noqa: S311


def make_client(project: str) -> firestore.Client:
    if os.environ.get("FIRESTORE_EMULATOR_HOST"):
        return firestore.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return firestore.Client(project=project)


def read_document(ref: firestore.DocumentReference) -> dict[str, Any] | None:
    """One document's fields, or None when it does not exist (outside transactions).

    One unary GetDocument call. ``ref.get()`` streams a BatchGetDocuments instead, which
    costs this process ~0.73 ms of CPU (and a gRPC polling thread when nothing else is in
    flight) against ~0.27 ms: logins make two such reads (README, "Measured").
    """
    client = ref._client
    try:
        document = client._firestore_api.get_document(
            request={"name": ref._document_path}, metadata=client._rpc_metadata, **BOUNDED
        )
    except exceptions.NotFound:
        return None
    fields = _helpers.decode_dict(document.fields, client)
    return fields if isinstance(fields, dict) else {}


def read_documents(
    client: firestore.Client, refs: list[firestore.DocumentReference]
) -> list[dict[str, Any] | None]:
    """The fields of each document (None where it does not exist), in the order of ``refs``:
    one BatchGetDocuments round trip, like ``client.get_all``, without its snapshots, which
    deep-copy every document twice (~0.2 ms of CPU per GET /user; README, "Measured")."""
    paths = [ref._document_path for ref in refs]
    found: dict[str, dict[str, Any]] = {}
    responses = client._firestore_api.batch_get_documents(
        request={"database": client._database_string, "documents": paths},
        metadata=client._rpc_metadata,
        **BOUNDED,
    )
    for response in responses:
        if "found" in response:
            fields = _helpers.decode_dict(response.found.fields, client)
            found[response.found.name] = fields if isinstance(fields, dict) else {}
    return [found.get(path) for path in paths]


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


MAX_ID_BYTES = 1500  # Firestore's limit on a document id


def claim_id(normalized: str) -> str:
    """A valid, injective document id for a non-empty normalized name or e-mail address.

    Ids may not contain '/', be '.' or '..', match ``__.*__`` or exceed 1,500 bytes; e-mail
    local parts may contain all of it, and NFKC expands some characters eighteenfold
    (U+FDFA), so a valid address can fold to 3 KB. Escapes start with '%', which is itself
    escaped, so no escaped form equals a plain one; an over-long key becomes ``%H`` + its
    SHA-256 (distinct unless SHA-256 collides).
    """
    escaped = normalized.replace("%", "%25").replace("/", "%2F")
    if escaped.startswith("__") and escaped.endswith("__"):
        escaped = "%5F" + escaped[1:]
    if escaped in (".", ".."):
        escaped = escaped.replace(".", "%2E")
    if len(escaped.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        escaped = "%H" + hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()
    return escaped
