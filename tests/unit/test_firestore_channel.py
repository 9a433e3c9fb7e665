"""The gRPC channel of the client library's client reconnects within 2 s of Firestore
coming back (docs/decisions/0436-the-firestore-channel-reconnects-within-2-s.md): gRPC's
own wait grows to 120 s, and a worker whose channel failed through a long outage answered
503 for that long after it. bench/firestore_reconnect.py measures it on the emulator."""

from __future__ import annotations

from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud.firestore_v1.services.firestore.transports.grpc import FirestoreGrpcTransport

from infrastructure.firestore.client import library_client, make_client
from infrastructure.firestore.internals import RECONNECT_OPTIONS, ReconnectingClient

MAX_BACKOFF_MS = 2000


def backoff_of(options: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(options)
    return {name: found.get(name) for name in dict(RECONNECT_OPTIONS)}


def test_the_options_cap_the_reconnect_wait() -> None:
    options = dict(RECONNECT_OPTIONS)
    assert options["grpc.max_reconnect_backoff_ms"] <= MAX_BACKOFF_MS
    assert options["grpc.initial_reconnect_backoff_ms"] <= options["grpc.max_reconnect_backoff_ms"]


def test_the_workers_client_on_the_emulator_has_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client every adapter uses (``make_client``), on the emulator's insecure channel,
    which keeps the library's own options (the token, the message sizes)."""
    made: list[tuple[str, list[tuple[str, Any]]]] = []
    real = grpc.insecure_channel

    def insecure_channel(target: str, options: list[tuple[str, Any]]) -> grpc.Channel:
        made.append((target, options))
        return real(target, options=options)

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
    monkeypatch.setattr(grpc, "insecure_channel", insecure_channel)
    client = library_client(make_client("demo-channel"))
    client._firestore_api  # noqa: B018 - the channel is made on first use
    [(target, options)] = made
    assert target == "127.0.0.1:1"
    assert backoff_of(options) == dict(RECONNECT_OPTIONS)
    assert ("Authorization", "Bearer owner") in options
    assert ("grpc.max_receive_message_length", -1) in options


def test_the_client_on_firestore_has_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Against Firestore itself: the library's channel options (keepalive) and these."""
    made: list[dict[str, Any]] = []

    def create_channel(*args: Any, **kwargs: Any) -> grpc.Channel:
        made.append(kwargs)
        return grpc.insecure_channel("127.0.0.1:1")

    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)
    monkeypatch.setattr(FirestoreGrpcTransport, "create_channel", create_channel)
    credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
    client = ReconnectingClient(project="demo-channel", credentials=credentials)
    client._firestore_api  # noqa: B018
    [kwargs] = made
    assert kwargs["credentials"] is credentials
    assert backoff_of(kwargs["options"]) == dict(RECONNECT_OPTIONS)
    assert ("grpc.keepalive_time_ms", 30000) in kwargs["options"]
