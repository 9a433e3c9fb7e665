"""API resources in Firestore (docs/reference/oauth.md, "API resources"):
``api_resources/{sha256 of "resource:" and the URI}``, each with its URI, its scopes (never
changed) and the orgs it allows (changed by ``update``, under its update time); and
``api_resource_index/all``, the keys of them all. A resource is made with ``create`` and
removed in one batch with the index's change, under the index's update time, so that of
registrations at once no more land than ``MAX_API_RESOURCES`` allows (each round of a race
has one winner; the others read again) and of two of one URI one lands. Resources stored
before the index was kept are counted by a query when it is first made."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from domain.clients.api_resources import (
    MAX_API_RESOURCES,
    ApiResource,
    ApiScope,
    resource_key,
    too_many_resources,
)
from domain.errors import Conflict
from infrastructure.firestore.client import BOUNDED, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

API_RESOURCES = "api_resources"
if TYPE_CHECKING:
    Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


def resource_to_doc(resource: ApiResource) -> dict[str, Any]:
    return {
        "uri": resource.uri,
        "scopes": resource.fields(),
        "created_at": resource.created_at,
        "orgs": list(resource.orgs),
        "issuer": resource.issuer,
        "min_acr": resource.min_acr,
    }


def resource_from_doc(data: dict[str, Any]) -> ApiResource:
    scopes = tuple(
        ApiScope(s["name"], s["description"], s.get("description_es")) for s in data["scopes"]
    )
    orgs = tuple(data.get("orgs", ()))
    return ApiResource(
        data["uri"],
        scopes,
        data["created_at"],
        orgs,
        data.get("issuer"),
        data.get("min_acr"),  # resources stored before the field: none
    )


INDEX = "api_resource_index"


@translates_errors
class FirestoreApiResources:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._resources = client.collection(API_RESOURCES)
        self._index_collection = client.collection(INDEX)

    @property
    def _index(self) -> firestore.DocumentReference:
        # asked for when first used: a document reference needs the client library, which
        # a worker's first requests do without (docs/decisions/0432-the-cloud-sdk-on-first-use.md)
        return self._index_collection.document("all")

    def _read(self, key: str) -> tuple[Snapshot, Snapshot]:
        """The index and the resource ``key``, in one round trip."""
        ref = self._resources.document(key)
        found = {
            snap.reference.path: snap
            for snap in self._client.get_all([self._index, ref], **BOUNDED)
        }
        return found[self._index.path], found[ref.path]

    def _keys(self, index: Snapshot) -> builtins.list[str]:
        if index.exists:
            return builtins.list((index.to_dict() or {}).get("keys", []))
        every = self._resources.limit(MAX_API_RESOURCES)  # stored before the index was kept
        return [key for key, _ in run_query(self._client, every)]

    def add(self, resource: ApiResource) -> None:
        def attempt() -> None:
            index, existing = self._read(resource.key)
            if existing.exists:
                raise exists()
            keys = self._keys(index)
            if len(keys) >= MAX_API_RESOURCES:
                raise too_many_resources()
            batch = self._client.batch()
            fields = {"keys": [*keys, resource.key]}
            if index.exists:
                batch.update(self._index, fields, option=unchanged_since(index))
            else:
                batch.create(self._index, fields)
            batch.create(self._resources.document(resource.key), resource_to_doc(resource))
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                raise Stale from None  # the index or the resource was made meanwhile

        until_unchanged(attempt)

    def update(self, uri: str, change: Callable[[ApiResource], ApiResource]) -> ApiResource | None:
        ref = self._resources.document(resource_key(uri))

        def attempt() -> ApiResource | None:
            found = ref.get(**BOUNDED)
            if not found.exists:
                return None
            changed = change(resource_from_doc(found.to_dict() or {}))
            ref.update({"orgs": list(changed.orgs)}, option=unchanged_since(found), **BOUNDED)
            return changed

        return until_unchanged(attempt)

    def list(self, limit: int) -> builtins.list[ApiResource]:
        # Few (at most MAX_API_RESOURCES), read all at once: sorted here, so no index is kept
        # on created_at, a sequential field
        every = self._resources.limit(MAX_API_RESOURCES)
        found = [resource_from_doc(data) for _, data in run_query(self._client, every)]
        return sorted(found, key=lambda resource: resource.created_at)[:limit]

    def delete(self, uri: str) -> bool:
        key = resource_key(uri)

        def attempt() -> bool:
            index, existing = self._read(key)
            if not existing.exists:
                return False
            batch = self._client.batch()
            batch.delete(existing.reference, option=unchanged_since(existing))
            if index.exists:
                left = [k for k in self._keys(index) if k != key]
                batch.update(self._index, {"keys": left}, option=unchanged_since(index))
            batch.commit(**BOUNDED)
            return True

        return until_unchanged(attempt)


def exists() -> Conflict:
    return Conflict(
        "An API resource with this URI is registered.", code="resource_exists", field="uri"
    )
