"""The shared signals unit's fakes (what ``adapters(settings)`` gives the app on the
fakes): the transmitter's store in memory, and its reads of the events' outbox, on a store
of its own until a test links it to the app's (``linked``); and its tests' world
(``TransmitterWorld``): an app on the fakes with a relying party registered with ``--ssf``
and its own access token, and a person, alice, whose events it may follow
(docs/reference/ssf.md); the receiver's stores in dictionaries, a transmitter's answers from
a dictionary of addresses (the POSTs recorded), and its adapters on them
(docs/reference/ssf-receiver.md)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from werkzeug.test import TestResponse

from application.shared_signals.receiver.ports import Json
from application.shared_signals.transmitter.ports import PushAnswer
from bootstrap.adapters import Adapters
from bootstrap.clients import ClientsAdapters
from bootstrap.federation import FederationAdapters
from bootstrap.shared_signals import ReceiverAdapters, SharedSignalsAdapters, TransmitterAdapters
from bootstrap.signin_adapters import secret_box
from bootstrap.sso import SsoAdapters
from domain.errors import Conflict, Unavailable
from domain.events.outbox import OutboxEntry
from domain.shared_signals.receiver.streams import ReceiverStream
from domain.shared_signals.transmitter.streams import Stream, Subject
from infrastructure.settings import Settings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.shared_signals.receiver_signatures import PyJwtSetSignatures
from tests.fakes.clients import FakeOAuthClients
from tests.fakes.events import FakeOutboxEntries, FakeScheduler
from tests.fakes.federation import FakeIdentityRepository, FakeUpstreamProviders
from tests.fakes.kernel import FakeHostResolver, InMemoryStore
from tests.fakes.sso import FakeConnections
from tests.support.api import bearer
from tests.support.app import unit_adapters
from tests.support.oauth import OAuthWorld
from tests.support.pages import PASSWORD


class FakeTransmitterStore:
    """The clients, streams (one per client) and subjects in dictionaries, under a lock as
    Firestore's ``create`` is one winner; its verification SETs written where ``entries``
    reads."""

    def __init__(self, entries: FakeOutboxEntries) -> None:
        self.entries = entries
        self.lock = threading.Lock()
        self.clients: dict[str, datetime] = {}
        self.streams: dict[str, Stream] = {}  # by client id
        self.subjects: dict[tuple[str, str], tuple[str, Subject]] = {}  # (stream, user)
        self.pushes: dict[str, tuple[str, datetime]] = {}  # by stream id: holder, until

    def allow_client(self, client_id: str, at: datetime) -> None:
        self.clients[client_id] = at

    def client_allowed(self, client_id: str) -> bool:
        return client_id in self.clients

    def create(self, stream: Stream) -> None:
        with self.lock:
            if stream.client_id in self.streams:
                raise Conflict("This client has a stream already.", code="stream_exists")
            self.streams[stream.client_id] = stream

    def of_client(self, client_id: str) -> Stream | None:
        return self.streams.get(client_id)

    def get(self, stream_id: str) -> Stream | None:
        return next((s for s in self.streams.values() if s.id == stream_id), None)

    def save(self, stream: Stream) -> None:
        self.streams[stream.client_id] = stream

    def delete(self, stream: Stream) -> None:
        with self.lock:
            self.streams.pop(stream.client_id, None)
            for key in [key for key in self.subjects if key[0] == stream.id]:
                del self.subjects[key]

    def add_subject(self, stream_id: str, client_id: str, user_id: str, subject: Subject) -> None:
        self.subjects[(stream_id, user_id)] = (client_id, subject)

    def remove_subject(self, stream_id: str, user_id: str) -> None:
        self.subjects.pop((stream_id, user_id), None)

    def following(self, user_id: str) -> list[tuple[Stream, Subject]]:
        found = []
        for (stream_id, followed), (client_id, subject) in list(self.subjects.items()):
            stream = self.streams.get(client_id)
            if followed == user_id and stream is not None and stream.id == stream_id:
                found.append((stream, subject))
        return found

    def take_push(self, stream: Stream, holder: str, now: datetime, until: datetime) -> bool:
        with self.lock:
            current = self.streams.get(stream.client_id)
            if current is None or current.id != stream.id:
                return False
            held = self.pushes.get(stream.id)
            if held is not None and held[1] > now and held[0] != holder:
                return False
            self.pushes[stream.id] = (holder, until)
            return True

    def release_push(self, stream: Stream, holder: str) -> None:
        with self.lock:
            if self.pushes.get(stream.id, ("", None))[0] == holder:
                del self.pushes[stream.id]

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            for key in [key for key in self.subjects if key[1] == user_id]:
                del self.subjects[key]

    def add_entry(self, entry: OutboxEntry) -> None:
        with self.entries.store.lock:
            self.entries.entries.setdefault(entry.id, entry)


class FakeSetPusher:
    """A receiver that answers each push with ``answers`` in turn (then 202), and keeps
    what it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self.answers: list[PushAnswer] = []

    def push(
        self, url: str, body: str, headers: Mapping[str, str], address: str | None
    ) -> PushAnswer:
        self.sent.append((url, body, dict(headers)))
        return self.answers.pop(0) if self.answers else PushAnswer(202, b"")


def linked(own: SharedSignalsAdapters, store: InMemoryStore, clients: Any) -> None:
    """The transmitter's reads of the outbox, on ``store``: the app's, where the audit trail
    writes its entries; and of the clients, the app's."""
    own.transmitter.entries.store = store  # type: ignore[attr-defined]
    own.transmitter.entries.entries = store.event_outbox  # type: ignore[attr-defined]
    own.transmitter.clients.clients = clients.clients  # type: ignore[attr-defined]


def adapters(settings: Settings) -> SharedSignalsAdapters:
    entries = FakeOutboxEntries()
    return SharedSignalsAdapters(
        transmitter=TransmitterAdapters(
            store=FakeTransmitterStore(entries),
            entries=entries,
            clients=FakeOAuthClients(),
            resolver=FakeHostResolver(),
            pusher=FakeSetPusher(),
        ),
        receiver=receiver_adapters(settings),
    )


RECEIVER = "https://receiver.example.com/events"


class TransmitterWorld(OAuthWorld):
    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        self.own = unit_adapters(self.adapters, "shared_signals")
        linked(self.own, self.store, self.adapters.of(ClientsAdapters).oauth_clients)
        self.rp = self.register("--confidential", "--ssf", name="Receiver")
        self.headers = self.client_headers(self.rp)

    @property
    def store_of(self) -> FakeTransmitterStore:
        store: FakeTransmitterStore = self.own.transmitter.store
        return store

    @property
    def pusher(self) -> FakeSetPusher:
        pusher: FakeSetPusher = self.own.transmitter.pusher
        return pusher

    def client_headers(self, client: dict[str, Any]) -> dict[str, str]:
        answer = self.post_token(client, grant_type="client_credentials")
        assert answer.status_code == 200, answer.get_json()
        return bearer(answer.get_json()["access_token"])

    def call(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        return self.client.open(path, method=method, headers=self.headers, **kwargs)

    def create(self, **body: Any) -> dict[str, Any]:
        answer = self.call("POST", "/ssf/streams", json=body)
        assert answer.status_code == 201, answer.get_json()
        found: dict[str, Any] = answer.get_json()
        return found

    def alice(self) -> tuple[str, dict[str, str]]:
        """alice's id and a session's bearer header."""
        answer = self.client.post("/login", json={"username": "alice", "password": PASSWORD})
        assert answer.status_code == 200, answer.get_json()
        headers = bearer(answer.get_json()["access_token"])
        user_id: str = self.client.get("/auth/whoami", headers=headers).get_json()["user_id"]
        return user_id, headers

    def follow(self, stream_id: str, user_id: str) -> None:
        subject = {"format": "opaque", "id": user_id}
        answer = self.call(
            "POST", "/ssf/streams/subjects:add", json={"stream_id": stream_id, "subject": subject}
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)

    def keys(self) -> jwt.PyJWKSet:
        return jwt.PyJWKSet.from_dict(self.client.get("/.well-known/jwks.json").get_json())

    def verified(self, token: str) -> dict[str, Any]:
        """A SET's claims, its signature checked against the published keys."""
        header = jwt.get_unverified_header(token)
        assert header["typ"] == "secevent+jwt"
        key = self.keys()[header["kid"]]
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[header["alg"]],
            audience=self.rp["client_id"],
            options={"verify_iat": False},  # the app's clock is a fake's
        )
        return claims


# -- the receiver's fakes


class FakeSpentSetIds:
    def __init__(self) -> None:
        self.spent: dict[str, datetime] = {}
        self.lock = threading.Lock()

    def spend(self, key: str, expires_at: datetime) -> bool:
        with self.lock:
            if key in self.spent:
                return False
            self.spent[key] = expires_at
            return True


class FakeReceiverStreams:
    def __init__(self) -> None:
        self.streams: dict[str, ReceiverStream] = {}
        self.registrations: dict[str, tuple[str, datetime]] = {}  # holder, until
        self.lock = threading.Lock()

    def get(self, connection_id: str) -> ReceiverStream | None:
        return self.streams.get(connection_id)

    def put(self, stream: ReceiverStream) -> None:
        self.streams[stream.connection_id] = stream

    def take_registration(
        self, connection_id: str, holder: str, now: datetime, until: datetime
    ) -> bool:
        with self.lock:
            held = self.registrations.get(connection_id)
            if held is not None and held[1] > now and held[0] != holder:
                return False
            self.registrations[connection_id] = (holder, until)
            return True

    def release_registration(self, connection_id: str, holder: str) -> None:
        with self.lock:
            held = self.registrations.get(connection_id)
            if held is not None and held[0] == holder:
                del self.registrations[connection_id]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        for connection_id in [c for c, s in self.streams.items() if s.org_id == org_id]:
            del self.streams[connection_id]


class FakeDisabledIdentities:
    def __init__(self) -> None:
        self.marks: dict[tuple[str, str], str] = {}

    def disable(self, provider: str, subject: str, user_id: str, now: datetime) -> None:
        self.marks[(provider, subject)] = user_id

    def disabled(self, provider: str, subject: str) -> bool:
        return (provider, subject) in self.marks


@dataclass(frozen=True)
class Posted:
    url: str
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Json:
        found: Json = json.loads(self.body)
        return found


Answering = Callable[[Posted], tuple[int, Json]]


@dataclass
class FakeTransmitterCalls:
    """GETs answered from ``documents`` (an address missing: Unavailable), POSTs by
    ``answers`` (by address) and recorded; ``fetched`` counts each GET."""

    documents: dict[str, Json] = field(default_factory=dict)
    answers: dict[str, Answering] = field(default_factory=dict)
    posted: list[Posted] = field(default_factory=list)
    fetched: dict[str, int] = field(default_factory=dict)

    def get_json(self, url: str) -> Json:
        self.fetched[url] = self.fetched.get(url, 0) + 1
        if url not in self.documents:
            raise Unavailable(f"No answer from {url}.")
        return self.documents[url]

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, Json]:
        posted = Posted(url, body, dict(headers))
        self.posted.append(posted)
        if url not in self.answers:
            raise Unavailable(f"No answer from {url}.")
        return self.answers[url](posted)


def receiver_adapters(settings: Settings, store: InMemoryStore | None = None) -> ReceiverAdapters:
    store = store or InMemoryStore()
    return ReceiverAdapters(
        connections=FakeConnections(store),
        identities=FakeIdentityRepository(store),
        providers=FakeUpstreamProviders(),
        streams=FakeReceiverStreams(),
        spent=FakeSpentSetIds(),
        disabled=FakeDisabledIdentities(),
        signatures=PyJwtSetSignatures(),
        box=secret_box(settings.group(SignInSettings)),
        scheduler=FakeScheduler(),
        calls=FakeTransmitterCalls(),
    )


def joined(adapters: Adapters, store: InMemoryStore) -> ReceiverAdapters:
    """The receiver's fakes of an app on the fakes, its readers of the core's data pointed at
    the core's fakes (``adapters``, ``store``: a ``World``'s): what the app's single sign-on,
    accounts and upstream providers hold, the receiver reads; the unit's outbox entries are
    the store's, where a connection's changes write theirs."""
    unit = unit_adapters(adapters, "shared_signals")
    entries = unit.transmitter.entries
    assert isinstance(entries, FakeOutboxEntries)
    entries.store, entries.entries = store, store.event_outbox
    own: ReceiverAdapters = unit.receiver
    connections, core = own.connections, adapters.of(SsoAdapters).connections
    assert isinstance(connections, FakeConnections) and isinstance(core, FakeConnections)
    connections.store, connections.lock, connections.connections = (
        core.store,
        core.lock,
        core.connections,
    )
    identities, providers = own.identities, own.providers
    assert isinstance(identities, FakeIdentityRepository)
    identities.store = store
    upstream = adapters.of(FederationAdapters).upstream_providers
    assert isinstance(providers, FakeUpstreamProviders)
    assert isinstance(upstream, FakeUpstreamProviders)
    providers.providers = upstream.providers
    return own
