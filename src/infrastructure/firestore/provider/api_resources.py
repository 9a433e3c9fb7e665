"""API resources in Firestore (docs/reference/oauth.md, "API resources"):
``api_resources/{sha256 of "resource:" and the URI}``, each with its URI and its scopes;
made with ``create`` (of two registrations of one URI at once, one lands), never changed,
removed with a precondition that it exists."""

from __future__ import annotations

import builtins
from typing import Any

from domain.errors import Conflict
from domain.provider.api_resources import (
    MAX_API_RESOURCES,
    ApiResource,
    ApiScope,
    resource_key,
)
from infrastructure.firestore.client import BOUNDED, delete_if_exists, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import exceptions, firestore

API_RESOURCES = "api_resources"


def resource_to_doc(resource: ApiResource) -> dict[str, Any]:
    return {"uri": resource.uri, "scopes": resource.fields(), "created_at": resource.created_at}


def resource_from_doc(data: dict[str, Any]) -> ApiResource:
    scopes = tuple(
        ApiScope(s["name"], s["description"], s.get("description_es")) for s in data["scopes"]
    )
    return ApiResource(data["uri"], scopes, data["created_at"])


@translates_errors
class FirestoreApiResources:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._resources = client.collection(API_RESOURCES)

    def add(self, resource: ApiResource) -> None:
        try:
            self._resources.document(resource.key).create(resource_to_doc(resource), **BOUNDED)
        except exceptions.AlreadyExists:
            raise Conflict(
                "An API resource with this URI is registered.", code="resource_exists", field="uri"
            ) from None

    def list(self, limit: int) -> builtins.list[ApiResource]:
        # Few (at most MAX_API_RESOURCES), read all at once: sorted here, so no index is kept
        # on created_at, a sequential field
        every = self._resources.limit(MAX_API_RESOURCES)
        found = [resource_from_doc(data) for _, data in run_query(self._client, every)]
        return sorted(found, key=lambda resource: resource.created_at)[:limit]

    def delete(self, uri: str) -> bool:
        return delete_if_exists(self._client, self._resources.document(resource_key(uri)))
