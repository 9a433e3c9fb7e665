"""API resources with their own scopes: registered on the command line (``resources add``)
or on /admin, listed and removed; and the catalogue each process reads of them now and then
(docs/reference/oauth.md, "API resources")."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from application.accounts.admin import require_admin
from application.accounts.authentication import Actor
from application.orgs.ports import OrgRepository
from application.ports import Clock
from application.provider.ports import ApiResources
from domain.errors import InvalidInput, NotFound
from domain.provider.api_resources import (
    MAX_API_RESOURCES,
    ApiResource,
    ApiScope,
    ResourceCatalogue,
)


@dataclass(frozen=True)
class ScopeText:
    name: str
    description: str
    description_es: str | None = None


@dataclass(frozen=True)
class AddResource:
    uri: str
    scopes: tuple[ScopeText, ...]
    orgs: tuple[str, ...] = ()  # the orgs (ids) whose own apps it allows


class CatalogueCache:
    """The registered resources as each process reuses them for ``ttl`` seconds once read
    (one read of them all): every authorization and token request, and the metadata, ask
    for them. A change made through this process is seen at once; another process's within
    ``ttl`` (docs/decisions/0426-the-scopes-catalogue-is-read-now-and-then.md)."""

    def __init__(
        self,
        resources: ApiResources,
        ttl: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resources, self._ttl, self._monotonic = resources, ttl, monotonic
        self._lock = threading.Lock()
        self._kept: tuple[ResourceCatalogue, float] | None = None
        self._drops = 0  # a read that began before a drop keeps nothing

    def catalogue(self) -> ResourceCatalogue:
        now = self._monotonic()
        with self._lock:
            kept, drops = self._kept, self._drops
        if kept is not None and now - kept[1] < self._ttl:
            return kept[0]
        found = ResourceCatalogue(tuple(self.resources.list(MAX_API_RESOURCES)))
        with self._lock:
            if drops == self._drops:
                self._kept = (found, now)
        return found

    def drop(self) -> None:
        with self._lock:
            self._kept = None
            self._drops += 1


def add_resource(
    cmd: AddResource, *, cache: CatalogueCache, clock: Clock, reserved: tuple[str, ...] = ()
) -> ApiResource:
    """Register a resource; 409 ``resource_exists`` if its URI is registered already,
    ``too_many_resources`` when ``MAX_API_RESOURCES`` are; ``reserved``: firegate's own
    API's audience and issuer, whose tokens are the API's own (no resource of the provider's:
    it could never have a token, each asked for it is ``invalid_target``)."""
    scopes = [ApiScope.new(s.name, s.description, s.description_es) for s in cmd.scopes]
    resource = ApiResource.new(cmd.uri, scopes, clock.now(), cmd.orgs)
    if resource.uri in reserved:
        raise InvalidInput.field(
            "uri",
            "That is firegate's own API (its JWT audience or issuer): its tokens are not the "
            "provider's to give.",
            "resource_reserved",
        )
    try:
        cache.resources.add(resource)
    finally:
        cache.drop()
    return resource


def list_resources(*, cache: CatalogueCache) -> list[ApiResource]:
    return cache.resources.list(MAX_API_RESOURCES)


@dataclass(frozen=True)
class RemoveResource:
    uri: str


def remove_resource(cmd: RemoveResource, *, cache: CatalogueCache) -> None:
    """Remove a resource: no new token carries its scopes. The clients allowed them keep
    the names, which no token can carry unless a resource with such scopes comes back."""
    try:
        removed = cache.resources.delete(cmd.uri)
    finally:
        cache.drop()
    if not removed:
        raise NotFound("No such API resource.", code="resource_not_found")


@dataclass(frozen=True)
class AllowOrg:
    """The operator's word on which orgs' own apps may have a resource's tokens and scopes
    (``resources allow`` and ``resources disallow``)."""

    uri: str
    org: str  # its id or slug
    allowed: bool = True


def allow_org(cmd: AllowOrg, *, cache: CatalogueCache, orgs: OrgRepository) -> ApiResource:
    """The resource with the org allowed or no longer: its apps' next token requests see it
    (in this process at once, in others within the catalogue's time); 404
    ``resource_not_found``, ``org_not_found``. An app the org made keeps the names of
    scopes it may no longer have, which no token carries while the org is not allowed."""
    org = orgs.find(cmd.org)
    if org is None:
        raise NotFound("No such organization.", code="org_not_found")
    try:
        changed = cache.resources.update(
            cmd.uri, lambda found: found.allowing((org.id,), cmd.allowed)
        )
    finally:
        cache.drop()
    if changed is None:
        raise NotFound("No such API resource.", code="resource_not_found")
    return changed


@dataclass(frozen=True)
class AdminResources:
    actor: Actor


def admin_list_resources(cmd: AdminResources, *, cache: CatalogueCache) -> list[ApiResource]:
    require_admin(cmd.actor)
    return list_resources(cache=cache)


@dataclass(frozen=True)
class AdminAddResource:
    actor: Actor
    resource: AddResource


def admin_add_resource(
    cmd: AdminAddResource, *, cache: CatalogueCache, clock: Clock, reserved: tuple[str, ...] = ()
) -> ApiResource:
    require_admin(cmd.actor)
    return add_resource(cmd.resource, cache=cache, clock=clock, reserved=reserved)


@dataclass(frozen=True)
class AdminRemoveResource:
    actor: Actor
    uri: str


def admin_remove_resource(cmd: AdminRemoveResource, *, cache: CatalogueCache) -> None:
    require_admin(cmd.actor)
    remove_resource(RemoveResource(cmd.uri), cache=cache)
