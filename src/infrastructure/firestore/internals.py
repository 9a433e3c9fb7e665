"""The only module in firegate that touches google-cloud-firestore's private names, for one
measured need.

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
