"""What the clients' use cases keep and read (docs/reference/oauth.md): the clients, the API
resources they may ask for, each process's copies of the clients it read, and the units'
resolvers of clients known other than by registration."""

from __future__ import annotations

import builtins
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from domain.clients.api_resources import ApiResource
from domain.clients.oauth import OAuthClient
from domain.slots import Slot


class OAuthClients(Protocol):
    def add(self, client: OAuthClient) -> None:
        """Store a new client."""
        ...

    def get(self, client_id: str) -> OAuthClient | None:
        """The client, or None."""
        ...

    def list(self, limit: int) -> list[OAuthClient]:
        """Up to ``limit`` clients, oldest first."""
        ...

    def delete(self, client_id: str) -> bool:
        """Remove the client; False if there was none."""
        ...

    def update(
        self, client_id: str, change: Callable[[OAuthClient], OAuthClient]
    ) -> OAuthClient | None:
        """Store ``change`` of the client as read, under compare-and-set (read again and
        changed again when another write came between); None if there is none."""
        ...

    def list_for_org(self, org_id: str, limit: int) -> builtins.list[OAuthClient]:
        """Up to ``limit`` of the clients the org owns, oldest first."""
        ...

    def with_native_apps(self, limit: int) -> builtins.list[OAuthClient]:
        """Up to ``limit`` of the clients that name a native app (``ios_apps``,
        ``android_apps``; which ones, past ``limit``, is the store's choice), oldest first:
        what the apps' association files are made of."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Remove every client the org owns, in bounded batches, with the org (an
        ``OrgPart``); idempotent."""
        ...


class ApiResources(Protocol):
    """The registered API resources, each with its scopes, by URI."""

    def add(self, resource: ApiResource) -> None:
        """Store a new resource; ``Conflict`` (``resource_exists``) if its URI has one,
        (``too_many_resources``) if ``MAX_API_RESOURCES`` are stored: of any number of adds
        at once, no more land than there is room for."""
        ...

    def list(self, limit: int) -> list[ApiResource]:
        """Up to ``limit`` resources, oldest first."""
        ...

    def update(self, uri: str, change: Callable[[ApiResource], ApiResource]) -> ApiResource | None:
        """Apply ``change`` (it changes only the orgs allowed) to the resource of ``uri``,
        under compare-and-set; the resource after it, or None when none is registered."""
        ...

    def delete(self, uri: str) -> bool:
        """Remove the resource; False if there was none."""
        ...


class ClientResolver(Protocol):
    """A unit's clients known other than by registration, by a ``client_id`` of a form of
    their own (the agents': a client ID metadata document's, by its https URL;
    docs/decisions/0771-a-unit-resolves-clients.md). The clients own the slot
    (``CLIENT_RESOLVERS``): every lookup of a client asks each resolver that ``names``
    the id, never the store."""

    def names(self, client_id: str) -> bool:
        """Whether ``client_id`` is of this resolver's form (nothing fetched)."""
        ...

    def resolved(self, client_id: str) -> OAuthClient | None:
        """The client of ``client_id``, or None when it cannot be known (``refusal`` then
        says why)."""
        ...

    def refusal(self, client_id: str) -> str | None:
        """Why ``client_id``'s client was last refused, while that is kept; None otherwise."""
        ...

    def discovery(self) -> Mapping[str, object]:
        """What the provider's discovery document says of these clients."""
        ...


class NativeAppClients(Protocol):
    """The clients as a unit reads their native apps (``NATIVE_APP_CLIENTS``)."""

    def with_native_apps(self, limit: int) -> builtins.list[OAuthClient]:
        """Up to ``limit`` of the clients that name a native app, oldest first."""
        ...


# What the kernel offers the units of the clients: the clients that name a native app, read
# from the store at each call (the reader keeps what it read: the native apps unit, once a
# minute), of which the native apps unit makes its files.
NATIVE_APP_CLIENTS = Slot[NativeAppClients]("the clients with native apps")

# The clients' slot a unit fills with its resolver, made from its adapters before the audit
# trail is (``Unit.lends_early``); every lookup of a client asks them first.
CLIENT_RESOLVERS = Slot[ClientResolver]("client resolvers")


class ClientResolvers:
    """The units' resolvers as one, in the units' order: the first that names an id
    answers for it."""

    def __init__(self, resolvers: Sequence[ClientResolver] = ()) -> None:
        self._resolvers = tuple(resolvers)

    def _of(self, client_id: str) -> ClientResolver | None:
        return next((found for found in self._resolvers if found.names(client_id)), None)

    def names(self, client_id: str) -> bool:
        return self._of(client_id) is not None

    def resolved(self, client_id: str) -> OAuthClient | None:
        found = self._of(client_id)
        return found.resolved(client_id) if found is not None else None

    def refusal(self, client_id: str) -> str | None:
        found = self._of(client_id)
        return found.refusal(client_id) if found is not None else None

    def discovery(self) -> dict[str, object]:
        return {key: value for found in self._resolvers for key, value in found.discovery().items()}


class ClientCache:
    """``OAuthClients`` whose clients each process reuses for ``ttl`` seconds once read:
    client authentication and every token's liveness ask for them at each call. A deletion
    made through this process drops its copy at once; another process keeps its copy for up
    to ``ttl`` (docs/decisions/0200-oauth-client-cache.md). An absent client is never kept,
    so one made in another process is found at once.

    A ``client_id`` one of the units' ``resolvers`` names is the client it resolves (the
    agents' metadata documents, kept as long as their document is): the one lookup every
    endpoint's client passes, so that none can miss them
    (docs/decisions/0771-a-unit-resolves-clients.md)."""

    MAX_KEPT = 1024

    def __init__(
        self,
        clients: OAuthClients,
        ttl: float,
        monotonic: Callable[[], float] = time.monotonic,
        resolvers: ClientResolvers | None = None,
    ) -> None:
        self._clients, self._ttl, self._monotonic = clients, ttl, monotonic
        self.resolvers = resolvers or ClientResolvers()
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[OAuthClient, float]] = {}
        self._drops = 0  # a read that began before a drop keeps nothing

    def add(self, client: OAuthClient) -> None:
        self._clients.add(client)

    def get(self, client_id: str) -> OAuthClient | None:
        if self.resolvers.names(client_id):
            return self.resolvers.resolved(client_id)
        if self._ttl <= 0:
            return self._clients.get(client_id)
        now = self._monotonic()
        with self._lock:
            kept, drops = self._kept.get(client_id), self._drops
        if kept is not None and now - kept[1] < self._ttl:
            return kept[0]
        found = self._clients.get(client_id)
        with self._lock:
            if found is None:
                self._kept.pop(client_id, None)
            elif drops == self._drops:
                self._kept.pop(client_id, None)
                while len(self._kept) >= self.MAX_KEPT:
                    del self._kept[next(iter(self._kept))]  # the oldest read
                self._kept[client_id] = (found, now)
        return found

    def list(self, limit: int) -> list[OAuthClient]:
        return self._clients.list(limit)

    def list_for_org(self, org_id: str, limit: int) -> builtins.list[OAuthClient]:
        return self._clients.list_for_org(org_id, limit)

    def with_native_apps(self, limit: int) -> builtins.list[OAuthClient]:
        return self._clients.with_native_apps(limit)

    def delete(self, client_id: str) -> bool:
        self._drop(lambda client: client.client_id == client_id)
        try:
            return self._clients.delete(client_id)
        finally:
            self._drop(lambda client: client.client_id == client_id)

    def update(
        self, client_id: str, change: Callable[[OAuthClient], OAuthClient]
    ) -> OAuthClient | None:
        try:
            return self._clients.update(client_id, change)
        finally:
            self._drop(lambda client: client.client_id == client_id)

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        self._drop(lambda client: client.org_id == org_id)
        try:
            self._clients.delete_owned_by_org(org_id, batch_size)
        finally:
            self._drop(lambda client: client.org_id == org_id)

    def _drop(self, which: Callable[[OAuthClient], bool]) -> None:
        with self._lock:
            for client_id in [key for key, (client, _) in self._kept.items() if which(client)]:
                del self._kept[client_id]
            self._drops += 1
