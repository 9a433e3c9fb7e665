"""An org's log streams in ``log_streams/{id}``, their org's places in
``log_stream_orgs/{org_id}`` (``ids``: what bounds an org's streams, changed in the commit
that adds or deletes one, by compare-and-set: of many adds racing for the last place, one
wins), their delivery logs in ``log_stream_deliveries/{id}`` (``expires_at`` its TTL
field) and their setup links in ``log_stream_links/{hash}`` (docs/reference/log-streams.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from application.log_streams.store import StreamLink
from domain.log_streams.streams import (
    LogStream,
    StreamDelivery,
    StreamFormat,
    StreamHealth,
    StreamKind,
    StreamState,
    too_many_streams,
)
from infrastructure.firestore.client import BOUNDED, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Select, Stale
from infrastructure.firestore.sdk import exceptions, firestore

STREAMS = "log_streams"
ORGS = "log_stream_orgs"
DELIVERIES = "log_stream_deliveries"
LINKS = "log_stream_links"
BATCH = 400


def _time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def stream_to_doc(stream: LogStream) -> dict[str, Any]:
    health = stream.health
    return {
        "org_id": stream.org_id,
        "kind": stream.kind.value,
        "format": stream.format.value,
        "target": dict(stream.target),
        "created_at": stream.created_at,
        "sealed_secret": stream.sealed_secret,
        "state": stream.state.value,
        "paused_at": stream.paused_at,
        "failing_since": health.failing_since,
        "failures": health.failures,
        "retry_at": health.retry_at,
        "lease_until": health.lease_until,
        "last_delivery_at": health.last_delivery_at,
        "last_delivery_ok": health.last_delivery_ok,
    }


def stream_from_doc(stream_id: str, data: dict[str, Any]) -> LogStream:
    return LogStream(
        id=stream_id,
        org_id=str(data["org_id"]),
        kind=StreamKind(data["kind"]),
        format=StreamFormat(data["format"]),
        target=dict(data.get("target") or {}),
        created_at=data["created_at"],
        sealed_secret=str(data.get("sealed_secret", "")),
        state=StreamState(data.get("state", StreamState.ACTIVE.value)),
        paused_at=_time(data.get("paused_at")),
        health=StreamHealth(
            failing_since=_time(data.get("failing_since")),
            failures=int(data.get("failures", 0)),
            retry_at=_time(data.get("retry_at")),
            lease_until=_time(data.get("lease_until")),
            last_delivery_at=_time(data.get("last_delivery_at")),
            last_delivery_ok=data.get("last_delivery_ok"),
        ),
    )


def delivery_to_doc(delivery: StreamDelivery) -> dict[str, Any]:
    return {
        "key": delivery.stream_id,  # spreads the writes of the (key, at) index
        "at": delivery.at,
        "events": delivery.events,
        "ok": delivery.ok,
        "reason": delivery.reason,
        "test": delivery.test,
        "expires_at": delivery.expires_at,
    }


def delivery_from_doc(delivery_id: str, data: dict[str, Any]) -> StreamDelivery:
    return StreamDelivery(
        id=delivery_id,
        stream_id=str(data["key"]),
        at=data["at"],
        events=int(data["events"]),
        ok=bool(data["ok"]),
        reason=data.get("reason"),
        test=bool(data.get("test", False)),
    )


@translates_errors
class FirestoreStreams:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._streams = client.collection(STREAMS)
        self._orgs = client.collection(ORGS)
        self._deliveries = client.collection(DELIVERIES)

    def add(self, stream: LogStream, most: int) -> None:
        places = self._orgs.document(stream.org_id)

        def attempt() -> None:
            snap = places.get(**BOUNDED)
            ids = list((snap.to_dict() or {}).get("ids", [])) if snap.exists else []
            if len(ids) >= most:
                raise too_many_streams()
            batch = self._client.batch()
            if snap.exists:
                batch.update(places, {"ids": [*ids, stream.id]}, option=unchanged_since(snap))
            else:
                batch.create(places, {"ids": [stream.id]})
            batch.create(self._streams.document(stream.id), stream_to_doc(stream))
            try:
                batch.commit(**BOUNDED)
            except (exceptions.AlreadyExists, exceptions.NotFound):
                raise Stale from None

        until_unchanged(attempt)

    def get(self, stream_id: str) -> LogStream | None:
        snap = self._streams.document(stream_id).get(**BOUNDED)
        return stream_from_doc(snap.id, snap.to_dict() or {}) if snap.exists else None

    def of_org(self, org_id: str) -> list[LogStream]:
        query = Select(STREAMS, (("org_id", org_id),))
        found = [stream_from_doc(i, data) for i, data in run_query(self._client, query)]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def active(self) -> list[LogStream]:
        query = Select(STREAMS, (("state", StreamState.ACTIVE.value),))
        return [stream_from_doc(i, data) for i, data in run_query(self._client, query)]

    def delete(self, stream_id: str) -> bool:
        ref = self._streams.document(stream_id)

        def attempt() -> bool:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return False
            places = self._orgs.document(str((snap.to_dict() or {})["org_id"]))
            held = places.get(**BOUNDED)
            batch = self._client.batch()
            batch.delete(ref, option=unchanged_since(snap))
            if held.exists:
                ids = [i for i in (held.to_dict() or {}).get("ids", []) if i != stream_id]
                batch.update(places, {"ids": ids}, option=unchanged_since(held))
            try:
                batch.commit(**BOUNDED)
            except exceptions.NotFound:
                raise Stale from None
            return True

        return until_unchanged(attempt)

    def lease(self, stream_id: str, now: datetime, until: datetime) -> LogStream | None:
        return self._cas(stream_id, lambda s: s.leased(until) if s.due(now) else None, True)

    def change(
        self, stream_id: str, change: Callable[[LogStream], LogStream | None]
    ) -> LogStream | None:
        return self._cas(stream_id, change, False)

    def _cas(
        self, stream_id: str, change: Callable[[LogStream], LogStream | None], only_changed: bool
    ) -> LogStream | None:
        ref = self._streams.document(stream_id)

        def attempt() -> LogStream | None:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return None
            before = stream_from_doc(snap.id, snap.to_dict() or {})
            after = change(before)
            if after is None:
                return None if only_changed else before
            try:
                ref.update(stream_to_doc(after), option=unchanged_since(snap), **BOUNDED)
            except exceptions.NotFound:
                return None
            return after

        return until_unchanged(attempt)

    def record(self, delivery: StreamDelivery) -> None:
        self._deliveries.document(delivery.id).create(delivery_to_doc(delivery), **BOUNDED)

    def deliveries(self, stream_id: str, limit: int) -> list[StreamDelivery]:
        query = Select(
            DELIVERIES,
            (("key", stream_id),),
            order_by=(("at", True), ("__name__", True)),
            limit=limit,
        )
        return [delivery_from_doc(i, data) for i, data in run_query(self._client, query)]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        for stream in self.of_org(org_id):
            self.delete(stream.id)
        self._orgs.document(org_id).delete(**BOUNDED)


def link_to_doc(link: StreamLink) -> dict[str, Any]:
    return {
        "org_id": link.org_id,
        "made_by": link.made_by,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "spent_at": link.spent_at,
    }


def link_from_doc(hashed: str, data: dict[str, Any]) -> StreamLink:
    return StreamLink(
        hashed=hashed,
        org_id=str(data["org_id"]),
        made_by=str(data["made_by"]),
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        spent_at=_time(data.get("spent_at")),
    )


@translates_errors
class FirestoreStreamLinks:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._links = client.collection(LINKS)

    def put(self, link: StreamLink) -> None:
        self._links.document(link.hashed).set(link_to_doc(link), **BOUNDED)

    def get(self, hashed: str) -> StreamLink | None:
        snap = self._links.document(hashed).get(**BOUNDED)
        return link_from_doc(snap.id, snap.to_dict() or {}) if snap.exists else None

    def spend(self, hashed: str, now: datetime) -> StreamLink | None:
        ref = self._links.document(hashed)

        def attempt() -> StreamLink | None:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return None
            link = link_from_doc(hashed, snap.to_dict() or {})
            if link.spent_at is not None or link.expires_at <= now:
                return None
            try:
                ref.update({"spent_at": now}, option=unchanged_since(snap), **BOUNDED)
            except exceptions.NotFound:
                return None
            return link

        return until_unchanged(attempt)

    def unspend(self, hashed: str) -> None:
        try:
            self._links.document(hashed).update({"spent_at": None}, **BOUNDED)
        except exceptions.NotFound:
            return

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        while True:
            found = run_query(self._client, Select(LINKS, (("org_id", org_id),), limit=BATCH))
            if not found:
                return
            batch = self._client.batch()
            for hashed, _ in found:
                batch.delete(self._links.document(hashed))
            batch.commit(**BOUNDED)
