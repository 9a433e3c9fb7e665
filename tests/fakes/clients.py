"""Fakes of the clients' ports: the clients and the API resources."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable
from dataclasses import replace

from domain.clients.api_resources import MAX_API_RESOURCES, ApiResource, too_many_resources
from domain.clients.oauth import OAuthClient
from domain.errors import Conflict


class FakeOAuthClients:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clients: dict[str, OAuthClient] = {}
        self.native_reads = 0  # how many times the clients with native apps were read

    def add(self, client: OAuthClient) -> None:
        with self.lock:
            if client.client_id in self.clients:
                raise Conflict("The client exists.", code="client_exists")
            self.clients[client.client_id] = client

    def get(self, client_id: str) -> OAuthClient | None:
        return self.clients.get(client_id)

    def list(self, limit: int) -> list[OAuthClient]:
        return sorted(self.clients.values(), key=lambda c: c.created_at)[:limit]

    def delete(self, client_id: str) -> bool:
        with self.lock:
            return self.clients.pop(client_id, None) is not None

    def update(
        self, client_id: str, change: Callable[[OAuthClient], OAuthClient]
    ) -> OAuthClient | None:
        with self.lock:
            found = self.clients.get(client_id)
            if found is None:
                return None
            self.clients[client_id] = changed = change(found)
            return changed

    def list_for_org(self, org_id: str, limit: int) -> builtins.list[OAuthClient]:
        return [c for c in self.list(len(self.clients)) if c.org_id == org_id][:limit]

    def with_native_apps(self, limit: int) -> builtins.list[OAuthClient]:
        self.native_reads += 1
        return [c for c in self.list(len(self.clients)) if c.has_native_apps][:limit]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        with self.lock:
            for client_id in [k for k, c in self.clients.items() if c.org_id == org_id]:
                del self.clients[client_id]


class FakeApiResources:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.resources: dict[str, ApiResource] = {}
        self.lists = 0  # how many times they were all read

    def add(self, resource: ApiResource) -> None:
        with self.lock:
            if resource.uri in self.resources:
                raise Conflict(
                    "An API resource with this URI is registered.",
                    code="resource_exists",
                    field="uri",
                )
            if len(self.resources) >= MAX_API_RESOURCES:
                raise too_many_resources()
            self.resources[resource.uri] = resource

    def list(self, limit: int) -> builtins.list[ApiResource]:
        self.lists += 1
        return sorted(self.resources.values(), key=lambda r: r.created_at)[:limit]

    def update(self, uri: str, change: Callable[[ApiResource], ApiResource]) -> ApiResource | None:
        with self.lock:
            found = self.resources.get(uri)
            if found is None:
                return None
            self.resources[uri] = replace(found, orgs=change(found).orgs)
            return self.resources[uri]

    def delete(self, uri: str) -> bool:
        with self.lock:
            return self.resources.pop(uri, None) is not None
