"""The upstream providers admins configure (docs/reference/providers.md): their store, the
commands that add and delete them, the list the sign-in pages show, and those the local
profile's configuration names. The use cases over them (``Upstream``), and the round trip
through one, are application/federation/upstream.py's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.remembered import Remembered
from application.signin.authentication import Actor
from domain.errors import Conflict, NotFound, PermissionDenied
from domain.federation.upstream import UpstreamProvider

LIST_TTL = 5.0  # seconds the sign-in pages' list of providers is kept by each process


class UpstreamProviders(Protocol):
    def add(self, provider: UpstreamProvider) -> None:
        """Store a new provider; Conflict (provider_exists) if its id is taken."""
        ...

    def get(self, provider_id: str) -> UpstreamProvider | None:
        """The provider with this id, or None."""
        ...

    def list_all(self) -> list[UpstreamProvider]:
        """Every provider, by id."""
        ...

    def delete(self, provider_id: str) -> bool:
        """Remove the provider; False if there was none."""
        ...


# -- the providers admins manage


@dataclass(frozen=True)
class AddProvider:
    actor: Actor  # an admin (the command line acts as one)
    id: str
    client_id: str
    client_secret: str
    issuer: str = ""
    name: str = ""
    scope: str = ""
    preset: str = ""
    team_id: str = ""
    key_id: str = ""


@dataclass(frozen=True)
class DeleteProvider:
    actor: Actor
    id: str


@dataclass(frozen=True)
class ProviderButton:
    """What a sign-in page shows of a provider."""

    id: str
    name: str


class ProviderList:
    """The providers, kept for a few seconds by each process: the sign-in pages list them on
    every view (docs/reference/providers.md)."""

    def __init__(self, providers: UpstreamProviders, clock: Callable[[], datetime]) -> None:
        self._providers, self._clock = providers, clock
        self._kept: Remembered[str, tuple[ProviderButton, ...]] = Remembered(1)

    def buttons(self) -> tuple[ProviderButton, ...]:
        now = self._clock().timestamp()
        kept = self._kept.get("all", now)
        if kept is None:
            kept = tuple(ProviderButton(p.id, p.name) for p in self._providers.list_all())
            self._kept.put("all", kept, now + LIST_TTL)
        return kept

    def forget(self) -> None:
        self._kept.put("all", (), 0.0)


def find_provider(provider_id: str, providers: UpstreamProviders) -> UpstreamProvider:
    found = providers.get(provider_id) if len(provider_id) <= 64 else None
    if found is None:
        raise NotFound("No such provider.", code="provider_not_found")
    return found


# -- providers from configuration (the local profile's UPSTREAM_PROVIDERS)


class WithConfigured:
    """The stored providers and those the configuration names (read-only: changed where they
    are configured). A configured id hides a stored one of the same id."""

    def __init__(self, stored: UpstreamProviders, configured: tuple[UpstreamProvider, ...]) -> None:
        self._stored = stored
        self._configured = {p.id: p for p in configured}

    def add(self, provider: UpstreamProvider) -> None:
        if provider.id in self._configured:
            raise Conflict("A provider has this id.", code="provider_exists", field="id")
        self._stored.add(provider)

    def get(self, provider_id: str) -> UpstreamProvider | None:
        return self._configured.get(provider_id) or self._stored.get(provider_id)

    def list_all(self) -> list[UpstreamProvider]:
        stored = [p for p in self._stored.list_all() if p.id not in self._configured]
        return sorted([*self._configured.values(), *stored], key=lambda p: p.id)

    def delete(self, provider_id: str) -> bool:
        if provider_id in self._configured:
            raise PermissionDenied(
                "This provider is configured by UPSTREAM_PROVIDERS; remove it there.",
                code="provider_configured",
            )
        return self._stored.delete(provider_id)
