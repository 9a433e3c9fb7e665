"""The log streams unit's fakes (what ``adapters(settings)`` gives the app on the fakes):
the streams, their places, delivery logs and setup links in memory, each change under one
lock as one Firestore commit is; destinations that record what they are sent, and fail as a
test says; a receiver on this machine, as a SIEM's collector (``receiving``). ``on_store``
gives the unit the outbox entries of the app's own store."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from application.log_streams.ports import Destination, DestinationDown, StreamRecord
from application.log_streams.store import StreamLink
from bootstrap.log_streams import LogStreamsAdapters
from bootstrap.unit import Placed
from domain.log_streams.streams import LogStream, StreamDelivery, StreamState, too_many_streams
from infrastructure.settings import Settings
from tests.fakes.events import FakeOutboxEntries
from tests.fakes.kernel import FakeHostResolver, InMemoryStore
from tests.support.api import bearer, login, register
from tests.support.local_servers import in_thread, send_json


class FakeStreams:
    def __init__(self) -> None:
        self.streams: dict[str, LogStream] = {}
        self.places: dict[str, list[str]] = {}
        self.lines: dict[str, StreamDelivery] = {}
        self.lock = threading.Lock()

    def add(self, stream: LogStream, most: int) -> None:
        with self.lock:
            ids = self.places.setdefault(stream.org_id, [])
            if len(ids) >= most:
                raise too_many_streams()
            ids.append(stream.id)
            self.streams[stream.id] = stream

    def get(self, stream_id: str) -> LogStream | None:
        return self.streams.get(stream_id)

    def of_org(self, org_id: str) -> list[LogStream]:
        found = [s for s in self.streams.values() if s.org_id == org_id]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def active(self) -> list[LogStream]:
        return [s for s in self.streams.values() if s.state is StreamState.ACTIVE]

    def delete(self, stream_id: str) -> bool:
        with self.lock:
            gone = self.streams.pop(stream_id, None)
            if gone is None:
                return False
            self.places[gone.org_id].remove(stream_id)
            return True

    def lease(self, stream_id: str, now: datetime, until: datetime) -> LogStream | None:
        with self.lock:
            found = self.streams.get(stream_id)
            if found is None or not found.due(now):
                return None
            self.streams[stream_id] = found.leased(until)
            return self.streams[stream_id]

    def change(
        self, stream_id: str, change: Callable[[LogStream], LogStream | None]
    ) -> LogStream | None:
        with self.lock:
            found = self.streams.get(stream_id)
            if found is None:
                return None
            after = change(found)
            if after is None:
                return found
            self.streams[stream_id] = after
            return after

    def record(self, delivery: StreamDelivery) -> None:
        with self.lock:
            self.lines[delivery.id] = delivery

    def deliveries(self, stream_id: str, limit: int) -> list[StreamDelivery]:
        found = [d for d in self.lines.values() if d.stream_id == stream_id]
        return sorted(found, key=lambda d: (d.at, d.id), reverse=True)[:limit]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        for stream in self.of_org(org_id):
            self.delete(stream.id)


class FakeStreamLinks:
    def __init__(self) -> None:
        self.links: dict[str, StreamLink] = {}
        self.lock = threading.Lock()

    def put(self, link: StreamLink) -> None:
        self.links[link.hashed] = link

    def get(self, hashed: str) -> StreamLink | None:
        return self.links.get(hashed)

    def spend(self, hashed: str, now: datetime) -> StreamLink | None:
        with self.lock:
            link = self.links.get(hashed)
            if link is None or link.spent_at is not None or link.expires_at <= now:
                return None
            self.links[hashed] = replace(link, spent_at=now)
            return link

    def unspend(self, hashed: str) -> None:
        with self.lock:
            if hashed in self.links:
                self.links[hashed] = replace(self.links[hashed], spent_at=None)

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        for hashed in [h for h, link in self.links.items() if link.org_id == org_id]:
            del self.links[hashed]


@dataclass
class FakeDestinations:
    """Every stream's destination: ``received`` by stream id, in order; ``failing``: how
    many more sends of a stream fail (after taking ``taken`` of the batch)."""

    received: dict[str, list[StreamRecord]] = field(default_factory=dict)
    failing: dict[str, int] = field(default_factory=dict)
    taken: int = 0

    def __call__(self, stream: LogStream) -> Destination:
        return _Destination(self, stream.id)


@dataclass
class _Destination:
    fakes: FakeDestinations
    stream_id: str

    def send(self, records: Sequence[StreamRecord]) -> None:
        got = self.fakes.received.setdefault(self.stream_id, [])
        if self.fakes.failing.get(self.stream_id, 0) > 0:
            self.fakes.failing[self.stream_id] -= 1
            got.extend(records[: self.fakes.taken])
            raise DestinationDown("status_503", taken=self.fakes.taken)
        got.extend(records)


def adapters(_settings: Settings, store: InMemoryStore | None = None) -> LogStreamsAdapters:
    return LogStreamsAdapters(
        store=FakeStreams(),
        links=FakeStreamLinks(),
        entries=FakeOutboxEntries(store),
        resolver=FakeHostResolver(),
        destinations=FakeDestinations(),
    )


def on_store(units: Sequence[Placed[object]], store: InMemoryStore) -> tuple[Placed[object], ...]:
    """``units`` with this unit's fakes reading the outbox entries of ``store`` (the app's)."""
    return tuple(
        Placed(placed.unit, replace(placed.adapters, entries=FakeOutboxEntries(store)))  # type: ignore[type-var]
        if placed.unit.name == "log_streams"
        else placed
        for placed in units
    )


@dataclass
class Receiver:
    """Fails the first ``failing`` POSTs with 503, then takes each, verified by ``secret``
    (an https stream's) or by the ``token`` (a HEC's)."""

    url: str = ""
    secret: str = ""
    token: str = ""
    failing: int = 0
    bodies: list[tuple[str, str]] = field(default_factory=list)  # (path, body) taken
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        with self.lock:
            if self.failing > 0:
                self.failing -= 1
                return 503
            if self.secret:
                try:
                    Webhook(self.secret).verify(body.decode(), headers)
                except WebhookVerificationError:
                    return 401
            elif headers.get("authorization") != f"Splunk {self.token}":
                return 401
            self.bodies.append((path, body.decode()))
            return 200

    def ids(self) -> list[str]:
        """The ids of the events taken, in the order they came (an https stream's)."""
        with self.lock:
            return [event["id"] for _, body in self.bodies for event in json.loads(body)]


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            send_json(self, found.take(self.path, body, headers), {})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    with in_thread(server):
        yield found


# -- the tests' steps


def owner(client: FlaskClient, name: str, slug: str) -> dict[str, str]:
    """``name`` signed up and signed in, the owner of a new org ``slug``: their headers."""
    register(client, name)
    auth = bearer(login(client, name))
    assert (
        client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=auth).status_code
        == 201
    )
    return auth


def link(client: FlaskClient, slug: str, auth: dict[str, str]) -> str:
    """A setup link's token, made by the owner ``auth`` of ``slug``; the link opens the page."""
    made = client.post(f"/orgs/{slug}/log-streams/setup-links", headers=auth)
    assert made.status_code == 201, made.get_json()
    url = made.get_json()["url"]
    assert urlsplit(url).path == "/setup/log-stream"  # the page (test_setup_page.py)
    token: str = parse_qs(urlsplit(url).query)["token"][0]
    return token
