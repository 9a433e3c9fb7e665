"""The production adapters, each capability's made in its own module from its settings
(``bootstrap/accounts.py``, ``signin_adapters.py``, ...), and the record of them the
composition root hands out: ``Adapters``, one field per capability.

No binding receives that record whole: ``bootstrap/__init__.py`` hands each capability its
own adapters and names what it takes of the others
(docs/decisions/0042-wiring-per-feature.md). The adapters are made by ``build_adapters`` in
the process that serves, after gunicorn's fork; their modules were imported before it, by
the master. The cloud client libraries are each worker's own: Firestore's and Firebase's and
Cloud Storage's are imported on their first use (infrastructure/firestore/sdk.py,
bootstrap/cloud.py), Pub/Sub's and Redis's where the settings name them
(docs/decisions/0453-one-import-in-the-master.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from application.ports import NO_METRICS, Metrics
from bootstrap import (
    accounts,
    clients,
    events,
    federation,
    hooks,
    mail,
    migration,
    orgs,
    platform,
    provider,
    scim,
    signin_adapters,
    sso,
)
from bootstrap.accounts import AccountsAdapters
from bootstrap.clients import ClientsAdapters
from bootstrap.events import EventsAdapters
from bootstrap.federation import FederationAdapters
from bootstrap.hooks import HooksAdapters
from bootstrap.mail import MailAdapters
from bootstrap.migration import MigrationAdapters
from bootstrap.orgs import OrgsAdapters
from bootstrap.platform import JobQueueFactory, Platform
from bootstrap.provider import ProviderAdapters
from bootstrap.scim import ScimAdapters
from bootstrap.signin_adapters import SigninAdapters
from bootstrap.sso import SsoAdapters
from bootstrap.unit import Placed
from bootstrap.units import core_units, units_on
from infrastructure.firestore.client import make_client
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

__all__ = ["Adapters", "JobQueueFactory", "build_adapters"]


@dataclass(frozen=True)
class Adapters:
    """Each capability's adapters. Tests build it from fakes (``tests/support/app.py``) and
    swap a capability's with ``replace``."""

    platform: Platform
    accounts: AccountsAdapters
    hooks: HooksAdapters
    signin: SigninAdapters
    federation: FederationAdapters
    mail: MailAdapters
    events: EventsAdapters
    clients: ClientsAdapters
    provider: ProviderAdapters
    migration: MigrationAdapters
    orgs: OrgsAdapters
    sso: SsoAdapters
    scim: ScimAdapters
    units: Sequence[Placed[Any]] = ()  # each unit with its adapters (bootstrap/units.py)

    def core(self) -> tuple[Placed[Any], ...]:
        """Each core unit with its adapters: the field its name names (``accounts``...), in
        the capability order (docs/decisions/0810-the-core-units-placed-by-name.md)."""
        return tuple(Placed(unit, getattr(self, unit.name)) for unit in core_units())

    def of[T](self, kind: type[T]) -> T:
        """The core unit's adapters of type ``kind`` (``adapters.of(AccountsAdapters)``);
        LookupError if no core unit's are."""
        for placed in self.core():
            if isinstance(placed.adapters, kind):
                return placed.adapters
        raise LookupError(f"no core unit's adapters are {kind.__name__}")

    def with_(self, *swapped: object) -> Adapters:
        """These adapters with each of ``swapped`` in place of the core unit's of its type
        (``adapters.with_(replace(adapters.of(MailAdapters), mailer=mailer))``)."""
        changes: dict[str, Any] = {}
        for new in swapped:
            names = [p.unit.name for p in self.core() if isinstance(new, type(p.adapters))]
            if len(names) != 1:
                raise TypeError(f"no core unit's adapters are {type(new).__name__}")
            changes[names[0]] = new
        return replace(self, **changes)


def build_adapters(
    settings: Settings,
    *,
    firestore: Client | None = None,
    hash_waited: Callable[[float], None] | None = None,
    metrics: Metrics = NO_METRICS,
) -> Adapters:
    """The production adapters. ``firestore`` shares one client (tests reuse theirs);
    ``hash_waited`` is told each argon2 hash's wait for a slot, as ``metrics`` are."""
    client = firestore or make_client(settings.service.google_cloud_project)
    # A change's security events are written in its commit by events' mapping, handed down
    # to the repositories of the capabilities below events that make such commits.
    written = events.staged_writer()
    # The memberships' copies of an account's token_version, moved with the account's by the
    # capabilities below orgs that move it (accounts, mail's password reset).
    copies = orgs.token_version_copies(client)
    # What every capability stands on, the outbound https client among it (its one CA bundle
    # and pool): the builds below that call out take their senders from it.
    built = platform.build(settings, client, metrics=metrics)
    return Adapters(
        platform=built,
        accounts=accounts.build(
            settings,
            client,
            active_orgs=orgs.active_orgs(client),
            copies=copies,
            write_staged=written,
            hash_waited=hash_waited,
            metrics=metrics,
        ),
        hooks=hooks.build(client, platform=built),
        signin=signin_adapters.build(
            settings,
            client,
            memberships=orgs.membership_part(),
            write_staged=written,
        ),
        federation=federation.build(settings, client, platform=built),
        mail=mail.build(settings, client, copies=copies),
        events=events.build(settings, client, platform=built),
        clients=clients.build(settings, client, platform=built),
        provider=provider.build(settings, client),
        migration=migration.build(client),
        orgs=orgs.build(settings, client),
        sso=sso.build(settings, client, platform=built),
        scim=scim.build(client),
        units=tuple(Placed(unit, unit.adapters(settings, client)) for unit in units_on(settings)),
    )
