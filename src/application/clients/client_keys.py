"""The public keys a ``private_key_jwt`` client's assertions are checked with: its own
``jwks``, or those at its ``jwks_uri``, fetched as a webhook is sent (a public address only,
pinned, within the webhooks' deadline, at most 64 KB) and kept briefly by each process
(docs/reference/oauth.md, "Client authentication with a signed assertion")."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from application.events.webhooks.ports import DocumentGetter
from application.outbound import (
    DocumentTooLarge,
    HostResolver,
    WebhookUnreachable,
    log_refusal,
    public_address_of,
    said,
)
from domain.clients.client_keys import check_jwks, keys_of
from domain.clients.oauth import OAuthClient
from domain.errors import DomainError, Unauthenticated

JWKS_MAX_BYTES = 64 * 1024


class KeysUnavailable(Unauthenticated):
    """The client's keys could not be had: it cannot be authenticated now."""

    code = "client_keys_unavailable"


class KeptKeys:
    """The JWK Sets each process fetched, reused for ``ttl`` seconds: every assertion of a
    client would fetch them otherwise. A client's new key is seen within ``ttl``, or at once
    when an assertion names it by its ``kid``: a set without that ``kid`` is fetched again
    once it is ``refetch_after`` seconds old (so assertions naming keys that do not exist
    make at most one fetch each ``refetch_after`` seconds, per process and ``jwks_uri``)."""

    MAX_KEPT = 256

    def __init__(
        self,
        ttl: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        refetch_after: float = 10.0,
    ):
        self._ttl, self._monotonic, self._refetch_after = ttl, monotonic, refetch_after
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, tuple[dict[str, Any], float]] = OrderedDict()

    def get(self, uri: str, kid: str | None = None) -> dict[str, Any] | None:
        """The set kept for ``uri``; None when there is none, it is ``ttl`` old, or it has
        no key ``kid`` and is ``refetch_after`` old."""
        with self._lock:
            found = self._kept.get(uri)
        if found is None:
            return None
        keys, fetched_at = found
        age = self._monotonic() - fetched_at
        if age >= self._ttl or (
            kid is not None and age >= self._refetch_after and not _has_kid(keys, kid)
        ):
            return None
        return keys

    def keep(self, uri: str, keys: dict[str, Any]) -> None:
        with self._lock:
            self._kept.pop(uri, None)
            while len(self._kept) >= self.MAX_KEPT:
                self._kept.popitem(last=False)
            self._kept[uri] = (keys, self._monotonic())


def _has_kid(keys: dict[str, Any], kid: str) -> bool:
    return any(key.get("kid") == kid for key in keys.get("keys", ()))


@dataclass(frozen=True)
class ClientKeys:
    client: OAuthClient
    kid: str | None = None  # the key the assertion names (its header's ``kid``)


@dataclass(frozen=True, kw_only=True, slots=True)
class AssertionKeys:
    """The keys a client's signed assertions are checked with. A ``jwks_uri`` is fetched by
    ``getter`` as a webhook is sent, at an address ``resolver`` says is public, except when
    ``local`` (the local profile, whose clients run on this machine); what is fetched is
    ``kept`` a while."""

    getter: DocumentGetter
    resolver: HostResolver
    local: bool
    kept: KeptKeys

    def client_keys(self, cmd: ClientKeys) -> dict[str, Any]:
        """The client's JWK Set; ``KeysUnavailable`` when it has none, or its jwks_uri cannot
        be fetched under the rules or gives no JWK Set of public keys."""
        client = cmd.client
        if client.jwks is not None:
            return keys_of(client.jwks)
        uri = client.jwks_uri
        if uri is None:
            raise KeysUnavailable("The client has no keys to check an assertion with.")
        found = self.kept.get(uri, cmd.kid)
        if found is None:
            found = self._fetched(uri)
            self.kept.keep(uri, found)
        return found

    def _fetched(self, uri: str) -> dict[str, Any]:
        address = None
        if not self.local:
            address, refused = public_address_of(uri, self.resolver)
            if refused is not None:
                raise _unfetched(uri, refused)
        try:
            body = self.getter.get(uri, address, JWKS_MAX_BYTES)
        except (DocumentTooLarge, WebhookUnreachable) as error:
            raise _unfetched(uri, error.cause) from None
        try:
            return keys_of(check_jwks(json.loads(body.decode("utf-8"))))
        except (ValueError, DomainError):
            raise KeysUnavailable("The client's jwks_uri gave no JWK Set of public keys.") from None


def _unfetched(uri: str, cause: str) -> KeysUnavailable:
    """The refusal of keys that could not be fetched, naming the cause; logged."""
    log_refusal("a client's jwks_uri", uri, cause)
    return KeysUnavailable(
        f"The client's jwks_uri could not be fetched: {said(cause, limit=JWKS_MAX_BYTES)}."
    )
