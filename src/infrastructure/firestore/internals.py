"""The only module in firegate that touches google-cloud-firestore's private names, for one
measured need; tests/unit/test_firestore_internals.py fails when the library changes what it
uses.

``BoundedTransaction``: google-cloud-firestore 2.34.1 calls BeginTransaction and Commit with
the library's defaults (retried up to 60 s) and offers no public way to pass others: neither
``Client``, ``client.transaction()`` nor ``firestore.transactional`` takes a retry or
timeout, and the client builds its own gRPC channel. So it overrides the private
``Transaction._begin`` and ``Transaction._commit``
(docs/decisions/0031-bounded-firestore-transactions.md).

``ReconnectingClient``: the library's client, whose gRPC channel the library makes with its
own options and none of its caller's; this one makes it with the library's and gRPC's
reconnect waits capped at 2 s (gRPC's grow to 120 s), so that a worker's calls are back
within about 2 s of Firestore after an outage instead of up to two minutes: measured 17 s
after a 90 s outage on the emulator (bench/firestore_reconnect.py,
docs/decisions/0436-the-firestore-channel-reconnects-within-2-s.md).
"""

from __future__ import annotations

from typing import Any

import grpc  # type: ignore[import-untyped]
from google.api_core.retry import Retry
from google.cloud.firestore_v1 import base_client

from infrastructure.firestore.sdk import firestore

# gRPC core's channel arguments (grpc/include/grpc/impl/channel_arg_names.h)
RECONNECT_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2000),
)


class ReconnectingClient(firestore.Client):
    """The library's client but for its channel, made with ``RECONNECT_OPTIONS``."""

    def _firestore_api_helper(self, transport: Any, client_class: Any, client_module: Any) -> Any:
        if self._firestore_api_internal is None:
            self._transport = transport(host=self._target, channel=self._channel(transport))
            self._firestore_api_internal = client_class(
                transport=self._transport, client_options=self._client_options
            )
            client_module._client_info = self._client_info
        return self._firestore_api_internal

    def _channel(self, transport: Any) -> Any:
        if self._emulator_host is None:
            return transport.create_channel(
                self._target,
                credentials=self._credentials,
                options=[*base_client._DEFAULT_CHANNEL_OPTIONS, *RECONNECT_OPTIONS],
            )
        # the emulator's channel as the library makes it: insecure, with its token
        token = getattr(self._credentials, "id_token", None) or "owner"
        return grpc.insecure_channel(
            self._emulator_host,
            options=[
                ("Authorization", f"Bearer {token}"),
                *base_client._GRPC_MSG_SIZE_OPTIONS,
                *RECONNECT_OPTIONS,
            ],
        )


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
