"""The clients whose ``client_id`` is the URL of their metadata document, fetched when one is
asked for, under the webhooks' rules (a public address, pinned; no redirect followed; at most
5 KB within 3 s), and kept by each process as long as the answer's ``Cache-Control`` says
(5 minutes to 24 hours), a refusal 5 minutes (docs/security.md, "Client metadata documents";
docs/decisions/0545-client-metadata-documents-kept-per-process.md). They are the agents
unit's resolver of clients: every lookup of a client reaches them through ``ClientCache``
(application/clients/ports.py, ``ClientResolver``;
docs/decisions/0771-a-unit-resolves-clients.md), and every request that names a document not
kept counts against its client address's bound (``FetchBound``). A refusal names its cause as
the outbound client named it (application/outbound.py)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from application.events.webhooks.ports import PinnedClient
from application.outbound import (
    DocumentTooLarge,
    HostResolver,
    WebhookUnreachable,
    log_refusal,
    public_address_of,
    said,
    status_cause,
)
from application.ports import Clock, RequestCounter
from domain.agents.metadata_document import (
    FETCH_SECONDS,
    MAX_DOCUMENT_BYTES,
    MIN_KEPT_SECONDS,
    DocumentRefused,
    client_of_document,
    document_client_id,
    kept_seconds,
)
from domain.clients.oauth import OAuthClient
from domain.errors import RateLimited
from domain.request_limits import Limit, assess, client_scope

MAX_KEPT = 1024  # documents (or refusals) kept per process; the oldest go first
log = logging.getLogger("firegate.clients")


@dataclass(frozen=True, kw_only=True)
class FetchBound:
    """How many requests naming a document this process does not keep one client address
    may make (``RATE_LIMIT_OAUTH_CLIENT_DOCUMENTS``; docs/security.md, "Client metadata
    documents"): counted in ``counter``, the request limits' store, against the scope of
    ``requester()``, the address of the request being served ("" outside one: not counted).
    Each such request may hold a thread for the fetch's 3 seconds."""

    limits: tuple[Limit, ...]
    counter: RequestCounter
    requester: Callable[[], str]

    def count(self, now: float) -> None:
        """Count one request; RateLimited, with the wait, past the bound."""
        address = self.requester()
        if not self.limits or not address:
            return
        key = f"client_documents:{client_scope(address)}"
        try:
            counts = self.counter.hit(key, [limit.seconds for limit in self.limits], now)
        except Exception as exc:  # as the request limits: a store that fails lets it through
            log.warning("rate limit store failed (%s): request let through", type(exc).__name__)
            return
        refused = [
            quota
            for quota in (assess(limit, counts[limit.seconds], now) for limit in self.limits)
            if not quota.allowed
        ]
        if refused:
            raise RateLimited(
                "Too many requests naming client metadata documents from this address; "
                "try again later.",
                retry_after=max(quota.reset for quota in refused),
            )


@dataclass
class _Flight:
    """One fetch of a document, which the requests for it that come meanwhile wait for."""

    done: threading.Event = field(default_factory=threading.Event)
    found: OAuthClient | DocumentRefused | None = None


@dataclass(kw_only=True)
class ClientDocuments:
    """``getter``: the pinned client a webhook is sent with; ``resolver``: whose addresses
    must be public, except when ``local`` (the local profile, whose clients run on this
    machine); ``monotonic``: the clock the kept documents age by; ``bound``: what each
    request naming a document not kept counts against (None: nothing)."""

    getter: PinnedClient
    resolver: HostResolver
    local: bool
    clock: Clock
    monotonic: Callable[[], float] = time.monotonic
    bound: FetchBound | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _kept: OrderedDict[str, tuple[OAuthClient | DocumentRefused, float]] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _flights: dict[str, _Flight] = field(default_factory=dict, init=False, repr=False)

    def names(self, client_id: str) -> bool:
        """Whether ``client_id`` is the URL of a metadata document (``ClientResolver``)."""
        return document_client_id(client_id)

    def resolved(self, client_id: str) -> OAuthClient | None:
        """The client of the document at ``client_id``; None when it is refused (``refusal``
        says why; ``ClientResolver``)."""
        try:
            return self.client(client_id)
        except DocumentRefused:
            return None

    def discovery(self) -> Mapping[str, object]:
        """draft-ietf-oauth-client-id-metadata-document: an https client_id is fetched
        (docs/agents-and-clis.md, "Agents with a client metadata document")."""
        return {"client_id_metadata_document_supported": True}

    def client(self, url: str) -> OAuthClient:
        """The client the document at ``url`` describes, fetched once per process while it
        is kept, however many requests ask at once; ``DocumentRefused`` (kept as long) when
        it cannot be fetched under the rules or says what may not be; RateLimited when the
        request's client address has named too many documents not kept."""
        with self._lock:
            kept = self._still_kept(url)
        if kept is not None:
            return _outcome(kept)
        if self.bound is not None:
            self.bound.count(self.clock.now().timestamp())
        with self._lock:
            # a fetch may have ended since the look above: what it kept is the answer
            kept = self._still_kept(url)
            if kept is not None:
                return _outcome(kept)
            flight = self._flights.get(url)
            leader = flight is None
            if flight is None:
                flight = self._flights[url] = _Flight()
        if not leader:
            flight.done.wait(FETCH_SECONDS + 1)
            return _outcome(flight.found or DocumentRefused("The document is being fetched."))
        found: OAuthClient | DocumentRefused = DocumentRefused("The document did not come.")
        seconds = 0
        try:
            found, seconds = self._fetched(url)
        except DocumentRefused as refused:
            found, seconds = refused, MIN_KEPT_SECONDS
        finally:
            with self._lock:
                if seconds:
                    self._kept.pop(url, None)
                    while len(self._kept) >= MAX_KEPT:
                        self._kept.popitem(last=False)
                    self._kept[url] = (found, self.monotonic() + seconds)
                flight.found = found
                del self._flights[url]
            flight.done.set()
        return _outcome(found)

    def _still_kept(self, url: str) -> OAuthClient | DocumentRefused | None:
        """What is kept of ``url`` and not yet expired (with the lock held)."""
        kept = self._kept.get(url)
        if kept is not None and self.monotonic() < kept[1]:
            return kept[0]
        return None

    def refusal(self, url: str) -> str | None:
        """Why the document at ``url`` was refused, while that is kept; None otherwise."""
        with self._lock:
            kept = self._kept.get(url)
        if kept is None or not isinstance(kept[0], DocumentRefused):
            return None
        return kept[0].detail

    def _fetched(self, url: str) -> tuple[OAuthClient, int]:
        address = None
        if not self.local:
            address, refused = public_address_of(url, self.resolver)
            if refused is not None:
                raise _unfetched(url, refused)
        try:
            answer = self.getter.exchange(
                "GET",
                url,
                None,
                {"Accept": "application/json"},
                address=address,
                limit=MAX_DOCUMENT_BYTES,
                timeout=FETCH_SECONDS,
            )
        except (DocumentTooLarge, WebhookUnreachable) as error:
            raise _unfetched(url, error.cause) from None
        if answer.status != 200:
            raise _unfetched(url, status_cause(answer.status))
        try:
            document = json.loads(answer.body.decode("utf-8"))
        except ValueError:
            raise DocumentRefused("The client metadata document is not JSON.") from None
        client = client_of_document(url, document, self.clock.now())
        headers = {name.lower(): value for name, value in answer.headers}
        return client, kept_seconds(headers.get("cache-control"))


def _unfetched(url: str, cause: str) -> DocumentRefused:
    """The refusal of a document that could not be fetched, naming the cause; logged."""
    log_refusal("a client metadata document", url, cause)
    words = said(cause, seconds=FETCH_SECONDS, limit=MAX_DOCUMENT_BYTES)
    return DocumentRefused(f"The client metadata document could not be fetched: {words}.")


def _outcome(found: OAuthClient | DocumentRefused) -> OAuthClient:
    if isinstance(found, DocumentRefused):
        raise DocumentRefused(found.detail)  # each request its own, as threads raise it at once
    return found
