"""Device authorization requests in Firestore (docs/reference/oauth.md, "Device
authorization"): ``oauth_device_codes/{sha256 of the user code}``, the device code's hash a
field, an ``expires_at`` for a TTL policy. The poll that spends an approved request commits
the spent request with its grant's creation, which is the compare-and-set (as a code's
exchange is): of any number of parallel polls one creates the grant, the others read the
request spent."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from application.ports import NO_WRITES, StagedWrites
from domain.provider.device_flow import Decision, DeviceAuthorization, Poll
from domain.provider.grants import Grant
from infrastructure.firestore.client import BOUNDED, commit, read_document, read_versioned
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.security_events import staged_documents
from infrastructure.firestore.optimistic import until_unchanged
from infrastructure.firestore.provider.oauth import OAUTH_GRANTS, grant_to_doc
from infrastructure.firestore.reads import Exists, Missing, Stale, Write
from infrastructure.firestore.sdk import exceptions, firestore

OAUTH_DEVICE_CODES = "oauth_device_codes"


def device_to_doc(request: DeviceAuthorization) -> dict[str, Any]:
    return {
        "device_hash": request.device_hash,
        "client_id": request.client_id,
        "scope": request.scope,
        "created_at": request.created_at,
        "expires_at": request.expires_at,  # a TTL policy on it removes old requests
        "interval": request.interval,
        "status": request.status,
        "user_id": request.user_id,
        "grant_id": request.grant_id,
        "auth_time": request.auth_time,
        "amr": list(request.amr),
    }


def device_from_doc(key: str, data: dict[str, Any]) -> DeviceAuthorization:
    return DeviceAuthorization(
        key=key,
        device_hash=data["device_hash"],
        client_id=data["client_id"],
        scope=data["scope"],
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        interval=data.get("interval", 5),
        status=data.get("status", "pending"),
        user_id=data.get("user_id"),
        grant_id=data.get("grant_id"),
        auth_time=data.get("auth_time"),
        amr=tuple(data.get("amr", ())),
    )


def sha256_key(value: str) -> bool:
    """Whether ``value`` is a SHA-256 in hex, as the keys of these documents are."""
    return len(value) == 64 and all(ch in "0123456789abcdef" for ch in value)


@translates_errors
class FirestoreDeviceAuthorizations:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._requests = client.collection(OAUTH_DEVICE_CODES)

    def add(self, request: DeviceAuthorization) -> bool:
        try:
            self._requests.document(request.key).create(device_to_doc(request), **BOUNDED)
        except exceptions.AlreadyExists:
            return False
        return True

    def get(self, key: str) -> DeviceAuthorization | None:
        if not sha256_key(key):
            return None
        data = read_document(self._client, self._requests.document(key))
        return device_from_doc(key, data) if data is not None else None

    def _path(self, key: str) -> str:
        return f"{OAUTH_DEVICE_CODES}/{key}"

    def decide(
        self, key: str, decide: Callable[[DeviceAuthorization], Decision]
    ) -> Decision | None:
        if not sha256_key(key):
            return None

        def attempt() -> Decision | None:
            found = read_versioned(self._client, self._path(key))
            if found is None:
                return None
            data, version = found
            decision = decide(device_from_doc(key, data))
            if decision.outcome == "decided":
                fields = device_to_doc(decision.request)
                commit(self._client, [Write(self._path(key), fields, unchanged_since=version)])
            return decision

        return until_unchanged(attempt)

    def slow_down(self, key: str, interval: int) -> None:
        if sha256_key(key):
            with suppress(exceptions.NotFound):  # removed meanwhile: its next poll is refused
                self._requests.document(key).update({"interval": interval}, **BOUNDED)

    def spend(
        self,
        key: str,
        poll: Callable[[DeviceAuthorization], Poll],
        grant: Callable[[DeviceAuthorization], Grant],
        staged: StagedWrites = NO_WRITES,
        read: DeviceAuthorization | None = None,
    ) -> Poll | None:
        known = read

        def attempt() -> Poll | None:
            nonlocal known
            request, known = known or self.get(key), None
            if request is None:
                return None
            polled = poll(request)
            if polled.outcome != "issue":
                return polled
            made = grant(polled.request)
            writes = [
                Write(self._path(key), {"status": polled.request.status}),
                Write(f"{OAUTH_GRANTS}/{made.id}", grant_to_doc(made), create=True),
                *(Write(path, doc, create=True) for path, doc in staged_documents(staged)),
            ]
            try:
                commit(self._client, writes)
            except (Exists, Missing):
                raise Stale from None  # spent (or gone) meanwhile: read again
            return polled

        return until_unchanged(attempt)
