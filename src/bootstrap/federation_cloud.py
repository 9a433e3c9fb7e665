"""The upstream providers' OpenID client, made by its first use in a worker: Authlib and
requests under it are about 0.1 s of a start and several MiB, imported by the first
authorization, code exchange or native ID token
(docs/decisions/0530-protocol-stacks-loaded-when-used.md; ``bootstrap/cloud.py``, the
platform's adapters made alike). It fits the federation's port, so mypy checks every call
through it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from application.federation.upstream import Authorization, UpstreamClaims, UpstreamClient
from bootstrap.cloud import FirstUse
from domain.federation.upstream import UpstreamProvider


class UpstreamClientOnFirstUse(FirstUse[UpstreamClient]):
    def authorization(
        self, provider: UpstreamProvider, secret: str, redirect_uri: str
    ) -> Authorization:
        return self.adapter().authorization(provider, secret, redirect_uri)

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
        return self.adapter().claims(
            provider, secret, redirect_uri, answer, expected, wanted=wanted
        )

    def id_token_claims(
        self, provider: UpstreamProvider, secret: str, id_token: str, nonce: str
    ) -> UpstreamClaims:
        return self.adapter().id_token_claims(provider, secret, id_token, nonce)

    def signing_keys(self, provider: UpstreamProvider, secret: str) -> list[dict[str, Any]]:
        return self.adapter().signing_keys(provider, secret)
