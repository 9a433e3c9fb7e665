"""The SSF transmitter's store: ``ssf_clients/{client_id}`` (the clients registered with
``--ssf``), ``ssf_streams/{client_id}`` (a client's one stream: created with ``create``, so
of thirty creates at once one wins and the others fail on it, AlreadyExists, 409),
``ssf_subjects/{stream_id}:{user_id}`` (the accounts a stream follows, found by ``user_id``
for each event, a single-field index), and the verification SETs it writes into the
events' outbox itself (docs/reference/ssf.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.errors import Conflict
from domain.events.outbox import OutboxEntry
from domain.shared_signals.transmitter.streams import Delivery, Stream, Subject
from infrastructure.firestore.client import BOUNDED, delete_in_batches, document_id, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.outbox import EVENT_OUTBOX, entry_to_doc
from infrastructure.firestore.optimistic import unchanged_since
from infrastructure.firestore.reads import Select
from infrastructure.firestore.sdk import exceptions, firestore

CLIENTS, STREAMS, SUBJECTS = "ssf_clients", "ssf_streams", "ssf_subjects"
STREAM_EXISTS = "stream_exists"
MAX_FOLLOWING = 100  # the streams one account's event is made a SET for, at most
DELETE_BATCH = 400


def stream_to_doc(stream: Stream) -> dict[str, Any]:
    return {
        "stream_id": stream.id,
        "client_id": stream.client_id,
        "method": stream.delivery.method,
        "endpoint_url": stream.delivery.endpoint_url,
        "authorization_header": stream.delivery.authorization_header,
        "events_requested": list(stream.events_requested),
        "created_at": stream.created_at,
        "description": stream.description,
        "status": stream.status,
        "reason": stream.reason,
    }


def stream_from_doc(data: dict[str, Any]) -> Stream:
    return Stream(
        id=data["stream_id"],
        client_id=data["client_id"],
        delivery=Delivery(data["method"], data["endpoint_url"], data.get("authorization_header")),
        events_requested=tuple(data.get("events_requested") or ()),
        created_at=data["created_at"],
        description=data.get("description"),
        status=data.get("status") or "enabled",
        reason=data.get("reason"),
    )


def subject_from_doc(data: dict[str, Any]) -> Subject:
    fields = dict(data["subject"])
    form = fields.pop("format")
    return Subject(form, tuple(sorted(fields.items())))


@translates_errors
class FirestoreTransmitterStore:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._clients = client.collection(CLIENTS)
        self._streams = client.collection(STREAMS)
        self._subjects = client.collection(SUBJECTS)

    def allow_client(self, client_id: str, at: datetime) -> None:
        self._clients.document(client_id).set({"client_id": client_id, "at": at}, **BOUNDED)

    def client_allowed(self, client_id: str) -> bool:
        if not document_id(client_id):
            return False
        return bool(self._clients.document(client_id).get(**BOUNDED).exists)

    def create(self, stream: Stream) -> None:
        try:
            self._streams.document(stream.client_id).create(stream_to_doc(stream), **BOUNDED)
        except exceptions.AlreadyExists:
            raise Conflict("This client has a stream already.", code=STREAM_EXISTS) from None

    def of_client(self, client_id: str) -> Stream | None:
        if not document_id(client_id):
            return None
        snap = self._streams.document(client_id).get(**BOUNDED)
        return stream_from_doc(snap.to_dict() or {}) if snap.exists else None

    def get(self, stream_id: str) -> Stream | None:
        found = run_query(self._client, Select(STREAMS, (("stream_id", stream_id),), limit=1))
        return stream_from_doc(found[0][1]) if found else None

    def save(self, stream: Stream) -> None:
        # merged: a push's lease stays
        self._streams.document(stream.client_id).set(stream_to_doc(stream), merge=True, **BOUNDED)

    def take_push(self, stream: Stream, holder: str, now: datetime, until: datetime) -> bool:
        ref = self._streams.document(stream.client_id)
        snap = ref.get(**BOUNDED)
        data = snap.to_dict() or {}
        if not snap.exists or data.get("stream_id") != stream.id:
            return False
        held = data.get("push_until")
        if held is not None and held > now and data.get("push_holder") != holder:
            return False
        try:  # compare-and-set: of two jobs that read it free, one takes it
            ref.update(
                {"push_holder": holder, "push_until": until},
                option=unchanged_since(snap),
                **BOUNDED,
            )
        except (exceptions.FailedPrecondition, exceptions.NotFound):
            return False
        return True

    def release_push(self, stream: Stream, holder: str) -> None:
        ref = self._streams.document(stream.client_id)
        snap = ref.get(**BOUNDED)
        if not snap.exists or (snap.to_dict() or {}).get("push_holder") != holder:
            return
        try:
            ref.update(
                {"push_holder": None, "push_until": None}, option=unchanged_since(snap), **BOUNDED
            )
        except (exceptions.FailedPrecondition, exceptions.NotFound):
            return  # taken over, or gone

    def delete(self, stream: Stream) -> None:
        self._streams.document(stream.client_id).delete(**BOUNDED)
        query = self._subjects.where(filter=firestore.FieldFilter("stream_id", "==", stream.id))
        delete_in_batches(self._client, query, DELETE_BATCH)

    def add_subject(self, stream_id: str, client_id: str, user_id: str, subject: Subject) -> None:
        self._subjects.document(f"{stream_id}:{user_id}").set(
            {
                "stream_id": stream_id,
                "client_id": client_id,
                "user_id": user_id,
                "subject": subject.as_json(),
            },
            **BOUNDED,
        )

    def remove_subject(self, stream_id: str, user_id: str) -> None:
        self._subjects.document(f"{stream_id}:{user_id}").delete(**BOUNDED)

    def following(self, user_id: str) -> list[tuple[Stream, Subject]]:
        found = run_query(
            self._client, Select(SUBJECTS, (("user_id", user_id),), limit=MAX_FOLLOWING)
        )
        if not found:
            return []
        refs = [self._streams.document(data["client_id"]) for _, data in found]
        streams = {
            snap.id: stream_from_doc(snap.to_dict() or {})
            for snap in self._client.get_all(refs, **BOUNDED)
            if snap.exists
        }
        followed: list[tuple[Stream, Subject]] = []
        for _, data in found:
            stream = streams.get(data["client_id"])
            if stream is not None and stream.id == data["stream_id"]:  # not a deleted one's
                followed.append((stream, subject_from_doc(data)))
        return followed

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        query = self._subjects.where(filter=firestore.FieldFilter("user_id", "==", user_id))
        delete_in_batches(self._client, query, batch_size)

    def add_entry(self, entry: OutboxEntry) -> None:
        self._client.collection(EVENT_OUTBOX).document(entry.id).create(
            entry_to_doc(entry), **BOUNDED
        )
