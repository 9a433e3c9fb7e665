"""The batch read every authenticated request makes (the caller's user and session), without
the library's snapshots.

``client.get_all`` wraps each document in a snapshot, deep-copying its fields once there and
once more in ``to_dict()``: about 0.3 ms of CPU per GET /user, 10-15% of the request. This
module calls the same BatchGetDocuments RPC through the library's private names (the client's
``_firestore_api``, ``_database_string``, ``_rpc_metadata``, a reference's
``_document_path``, ``_helpers.decode_dict``); it is the only place in firegate that reads
them, and tests/integration/test_fast_reads.py fails when the library changes them. Why and
what was measured: docs/decisions/0032-fast-batch-reads.md.
"""

from __future__ import annotations

from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1 import _helpers


def read_documents_fast(
    client: firestore.Client,
    refs: list[firestore.DocumentReference],
    *,
    retry: Any,
    timeout: float,
) -> list[dict[str, Any] | None]:
    """The fields of each document (None where it does not exist), in the order of ``refs``:
    one BatchGetDocuments round trip, like ``client.get_all``."""
    paths = [ref._document_path for ref in refs]
    found: dict[str, dict[str, Any]] = {}
    responses = client._firestore_api.batch_get_documents(
        request={"database": client._database_string, "documents": paths},
        metadata=client._rpc_metadata,
        retry=retry,
        timeout=timeout,
    )
    for response in responses:
        if "found" in response:
            fields = _helpers.decode_dict(response.found.fields, client)
            found[response.found.name] = fields if isinstance(fields, dict) else {}
    return [found.get(path) for path in paths]
