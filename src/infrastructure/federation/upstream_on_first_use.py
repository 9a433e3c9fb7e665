"""The upstream providers' OpenID client, made by its first call in a worker.

Authlib's client and requests under it (infrastructure/federation/upstream_oidc.py) are
about 0.1 s of a worker's start and several MiB of its memory, for a sign-in with an upstream
provider or an org's OpenID connection that a deployment may never see. The composition root
hands this class how to make the real client (a function that imports it); the first
authorization, code exchange or native ID token makes it, once, whichever thread comes first
(docs/decisions/0530-protocol-stacks-loaded-when-used.md). It fits the port, so mypy checks
every call through it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping

from application.federation.upstream import Authorization, UpstreamClaims, UpstreamClient
from domain.federation.upstream import UpstreamProvider


class UpstreamClientOnFirstUse:
    def __init__(self, make: Callable[[], UpstreamClient]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._client: UpstreamClient | None = None

    def client(self) -> UpstreamClient:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._make()
                client = self._client
        return client

    def authorization(
        self, provider: UpstreamProvider, secret: str, redirect_uri: str
    ) -> Authorization:
        return self.client().authorization(provider, secret, redirect_uri)

    def claims(
        self,
        provider: UpstreamProvider,
        secret: str,
        redirect_uri: str,
        answer: Mapping[str, str],
        expected: Authorization,
        *,
        wanted: Collection[str] = ("email",),
    ) -> UpstreamClaims:
        return self.client().claims(provider, secret, redirect_uri, answer, expected, wanted=wanted)

    def id_token_claims(
        self, provider: UpstreamProvider, secret: str, id_token: str, nonce: str
    ) -> UpstreamClaims:
        return self.client().id_token_claims(provider, secret, id_token, nonce)
