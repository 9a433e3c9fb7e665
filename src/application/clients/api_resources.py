"""API resources with their own scopes: registered on the command line (``resources add``)
or on /admin, listed and removed; and the catalogue each process reads of them now and then
(docs/reference/oauth.md, "API resources")."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from application.accounts.admin import require_admin
from application.clients.ports import ApiResources
from application.orgs.ports import OrgRepository
from application.ports import Clock
from application.signin.authentication import Actor
from domain.clients.api_resources import (
    MAX_API_RESOURCES,
    ApiResource,
    ApiScope,
    ResourceCatalogue,
)
from domain.errors import InvalidInput, NotFound


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
    issuer: str | None = None  # its authorization server's, where that is not firegate
    min_acr: str | None = None  # the weakest class of sign-in its tokens need


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

    def scope_names(self) -> tuple[str, ...]:
        """Every registered resource's scopes (an org's roles may carry them)."""
        return self.catalogue().scope_names()

    def drop(self) -> None:
        with self._lock:
            self._kept = None
            self._drops += 1


@dataclass(frozen=True)
class RemoveResource:
    uri: str


@dataclass(frozen=True)
class AllowOrg:
    """The operator's word on which orgs' own apps may have a resource's tokens and scopes
    (``resources allow`` and ``resources disallow``)."""

    uri: str
    org: str  # its id or slug
    allowed: bool = True


@dataclass(frozen=True)
class AdminResources:
    actor: Actor


@dataclass(frozen=True)
class AdminAddResource:
    actor: Actor
    resource: AddResource


@dataclass(frozen=True)
class AdminRemoveResource:
    actor: Actor
    uri: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiResourceRegistry:
    """The API resources: registered, listed, removed and allowed to orgs by the operator
    (the command line) or an admin (/admin), through the process's ``catalogue`` of them;
    ``reserved``: firegate's own API's audience and issuer, never a resource."""

    catalogue: CatalogueCache
    orgs: OrgRepository
    clock: Clock
    reserved: tuple[str, ...] = ()

    def add_resource(self, cmd: AddResource) -> ApiResource:
        """Register a resource; 409 ``resource_exists`` if its URI is registered already,
        ``too_many_resources`` when ``MAX_API_RESOURCES`` are; ``resource_reserved`` for
        firegate's own API's audience or issuer, whose tokens are the API's own (no resource
        of the provider's: it could never have a token, each asked for it is
        ``invalid_target``)."""
        scopes = [ApiScope.new(s.name, s.description, s.description_es) for s in cmd.scopes]
        resource = ApiResource.new(
            cmd.uri, scopes, self.clock.now(), cmd.orgs, issuer=cmd.issuer, min_acr=cmd.min_acr
        )
        if resource.uri in self.reserved:
            raise InvalidInput.field(
                "uri",
                "That is firegate's own API (its JWT audience or issuer): its tokens are not "
                "the provider's to give.",
                "resource_reserved",
            )
        try:
            self.catalogue.resources.add(resource)
        finally:
            self.catalogue.drop()
        return resource

    def list_resources(self) -> list[ApiResource]:
        return self.catalogue.resources.list(MAX_API_RESOURCES)

    def remove_resource(self, cmd: RemoveResource) -> None:
        """Remove a resource: no new token carries its scopes. The clients allowed them keep
        the names, which no token can carry unless a resource with such scopes comes
        back."""
        try:
            removed = self.catalogue.resources.delete(cmd.uri)
        finally:
            self.catalogue.drop()
        if not removed:
            raise NotFound("No such API resource.", code="resource_not_found")

    def allow_org(self, cmd: AllowOrg) -> ApiResource:
        """The resource with the org allowed or no longer: its apps' next token requests see
        it (in this process at once, in others within the catalogue's time); 404
        ``resource_not_found``, ``org_not_found``. An app the org made keeps the names of
        scopes it may no longer have, which no token carries while the org is not
        allowed."""
        org = self.orgs.find(cmd.org)
        if org is None:
            raise NotFound("No such organization.", code="org_not_found")
        try:
            changed = self.catalogue.resources.update(
                cmd.uri, lambda found: found.allowing((org.id,), cmd.allowed)
            )
        finally:
            self.catalogue.drop()
        if changed is None:
            raise NotFound("No such API resource.", code="resource_not_found")
        return changed

    def admin_list_resources(self, cmd: AdminResources) -> list[ApiResource]:
        require_admin(cmd.actor)
        return self.list_resources()

    def admin_add_resource(self, cmd: AdminAddResource) -> ApiResource:
        require_admin(cmd.actor)
        return self.add_resource(cmd.resource)

    def admin_remove_resource(self, cmd: AdminRemoveResource) -> None:
        require_admin(cmd.actor)
        self.remove_resource(RemoveResource(cmd.uri))

    def resource_catalogue(self) -> ResourceCatalogue:
        """The registered resources as this process read them lately."""
        return self.catalogue.catalogue()
