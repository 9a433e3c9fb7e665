"""The SSF receiver's documents (docs/reference/ssf-receiver.md): the SETs received, by their
transmitter and ``jti``, in ``ssf_received_sets/{key}`` until their ``expires_at``
(Firestore's TTL deletes them), each created once; the streams firegate registered, in
``ssf_receiver_streams/{connection}``, and who registers one now, in
``ssf_receiver_registrations/{connection}`` (until its ``expires_at``, where Firestore's
TTL deletes it); the Google identities Google said are disabled, in
``ssf_disabled_identities/{key}``."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from domain.shared_signals.receiver.streams import ReceiverStream
from infrastructure.firestore.client import BOUNDED, delete_in_batches, read_document
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since
from infrastructure.firestore.sdk import exceptions, firestore

RECEIVED_SETS = "ssf_received_sets"
RECEIVER_STREAMS = "ssf_receiver_streams"
REGISTRATIONS = "ssf_receiver_registrations"
DISABLED_IDENTITIES = "ssf_disabled_identities"


@translates_errors
class FirestoreSpentSetIds:
    def __init__(self, client: firestore.Client) -> None:
        self._spent = client.collection(RECEIVED_SETS)

    def spend(self, key: str, expires_at: datetime) -> bool:
        try:
            self._spent.document(key).create({"expires_at": expires_at}, **BOUNDED)
        except exceptions.AlreadyExists:
            return False
        return True


def _stream_to_doc(stream: ReceiverStream) -> dict[str, Any]:
    return {
        "org_id": stream.org_id,
        "configuration_url": stream.configuration_url,
        "authorization": stream.sealed_authorization,
        "issuer": stream.issuer,
        "jwks_uri": stream.jwks_uri,
        "audience": list(stream.audience),
        "stream_id": stream.stream_id,
        "failures": stream.failures,
        "retry_at": stream.retry_at,
        "last_error": stream.last_error,
    }


def _stream_from_doc(connection_id: str, data: dict[str, Any]) -> ReceiverStream:
    return ReceiverStream(
        connection_id=connection_id,
        org_id=str(data["org_id"]),
        configuration_url=str(data["configuration_url"]),
        sealed_authorization=str(data["authorization"]),
        issuer=str(data.get("issuer", "")),
        jwks_uri=str(data.get("jwks_uri", "")),
        audience=tuple(str(a) for a in data.get("audience", [])),
        stream_id=str(data.get("stream_id", "")),
        failures=int(data.get("failures", 0)),
        retry_at=data.get("retry_at"),
        last_error=str(data.get("last_error", "")),
    )


@translates_errors
class FirestoreReceiverStreams:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._streams = client.collection(RECEIVER_STREAMS)
        self._registrations = client.collection(REGISTRATIONS)

    def get(self, connection_id: str) -> ReceiverStream | None:
        data = read_document(self._client, self._streams.document(connection_id))
        return _stream_from_doc(connection_id, data) if data is not None else None

    def put(self, stream: ReceiverStream) -> None:
        self._streams.document(stream.connection_id).set(_stream_to_doc(stream), **BOUNDED)

    def take_registration(
        self, connection_id: str, holder: str, now: datetime, until: datetime
    ) -> bool:
        ref = self._registrations.document(connection_id)
        snap = ref.get(**BOUNDED)
        taken = {"holder": holder, "expires_at": until}
        try:  # of two servers that read it free, one creates or changes it first
            if not snap.exists:
                ref.create(taken, **BOUNDED)
                return True
            data = snap.to_dict() or {}
            held = data.get("expires_at")
            if held is not None and held > now and data.get("holder") != holder:
                return False
            ref.update(taken, option=unchanged_since(snap), **BOUNDED)
        except (exceptions.AlreadyExists, exceptions.FailedPrecondition, exceptions.NotFound):
            return False
        return True

    def release_registration(self, connection_id: str, holder: str) -> None:
        ref = self._registrations.document(connection_id)
        snap = ref.get(**BOUNDED)
        if not snap.exists or (snap.to_dict() or {}).get("holder") != holder:
            return
        try:
            ref.delete(option=unchanged_since(snap), **BOUNDED)
        except (exceptions.FailedPrecondition, exceptions.NotFound):
            return  # taken over, or gone

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """A deleted org's streams (its connections go with it)."""
        query = self._streams.where(filter=firestore.FieldFilter("org_id", "==", org_id))
        delete_in_batches(self._client, query, batch_size)


def identity_key(provider: str, subject: str) -> str:
    return hashlib.sha256(f"{provider}\n{subject}".encode()).hexdigest()


@translates_errors
class FirestoreDisabledIdentities:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._marks = client.collection(DISABLED_IDENTITIES)

    def disable(self, provider: str, subject: str, user_id: str, now: datetime) -> None:
        self._marks.document(identity_key(provider, subject)).set(
            {"provider": provider, "user_id": user_id, "disabled_at": now}, **BOUNDED
        )

    def disabled(self, provider: str, subject: str) -> bool:
        found = read_document(self._client, self._marks.document(identity_key(provider, subject)))
        return found is not None
