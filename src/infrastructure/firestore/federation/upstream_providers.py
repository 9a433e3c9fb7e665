"""Upstream identity providers in ``upstream_providers/{id}``, the client secret sealed
(docs/reference/providers.md)."""

from __future__ import annotations

from typing import Any

from domain.errors import Conflict
from domain.federation.upstream import UpstreamProvider
from infrastructure.firestore.client import BOUNDED, read_document
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import exceptions, firestore

UPSTREAM_PROVIDERS = "upstream_providers"


def provider_to_doc(provider: UpstreamProvider) -> dict[str, Any]:
    return {
        "name": provider.name,
        "preset": provider.preset,
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.sealed_secret,
        "scope": provider.scope,
        "created_at": provider.created_at,
        "team_id": provider.team_id,
        "key_id": provider.key_id,
    }


def provider_from_doc(provider_id: str, data: dict[str, Any]) -> UpstreamProvider:
    return UpstreamProvider(
        id=provider_id,
        name=data["name"],
        preset=data.get("preset", ""),
        issuer=data["issuer"],
        client_id=data["client_id"],
        sealed_secret=data["client_secret"],
        scope=data["scope"],
        created_at=data["created_at"],
        team_id=data.get("team_id", ""),
        key_id=data.get("key_id", ""),
    )


@translates_errors
class FirestoreUpstreamProviders:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._providers = client.collection(UPSTREAM_PROVIDERS)

    def add(self, provider: UpstreamProvider) -> None:
        try:
            self._providers.document(provider.id).create(provider_to_doc(provider), **BOUNDED)
        except exceptions.AlreadyExists:
            raise Conflict("A provider has this id.", code="provider_exists", field="id") from None

    def get(self, provider_id: str) -> UpstreamProvider | None:
        data = read_document(self._client, self._providers.document(provider_id))
        return provider_from_doc(provider_id, data) if data is not None else None

    def list_all(self) -> list[UpstreamProvider]:
        snaps = self._providers.order_by("__name__").stream(**BOUNDED)
        return [provider_from_doc(s.id, s.to_dict() or {}) for s in snaps]

    def delete(self, provider_id: str) -> bool:
        ref = self._providers.document(provider_id)
        try:
            ref.delete(option=self._client.write_option(exists=True), **BOUNDED)
        except exceptions.NotFound:
            return False
        return True
