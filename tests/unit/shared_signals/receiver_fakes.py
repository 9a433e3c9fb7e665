"""The SSF receiver's fakes: its stores in dictionaries, a transmitter's answers from a
dictionary of addresses (the POSTs recorded), and its adapters on them for an app on the
fakes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from application.shared_signals.receiver.ports import Json
from bootstrap.adapters import Adapters
from bootstrap.federation import FederationAdapters
from bootstrap.shared_signals import ReceiverAdapters
from bootstrap.signin_adapters import secret_box
from bootstrap.sso import SsoAdapters
from domain.errors import Unavailable
from domain.shared_signals.receiver.streams import ReceiverStream
from infrastructure.settings import Settings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.shared_signals.receiver_signatures import PyJwtSetSignatures
from tests.fakes.events import FakeScheduler
from tests.fakes.federation import FakeIdentityRepository, FakeUpstreamProviders
from tests.fakes.kernel import InMemoryStore
from tests.fakes.sso import FakeConnections
from tests.support.app import unit_adapters


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

    def get(self, connection_id: str) -> ReceiverStream | None:
        return self.streams.get(connection_id)

    def put(self, stream: ReceiverStream) -> None:
        self.streams[stream.connection_id] = stream

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
    accounts and upstream providers hold, the receiver reads."""
    own: ReceiverAdapters = unit_adapters(adapters, "shared_signals").receiver
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
