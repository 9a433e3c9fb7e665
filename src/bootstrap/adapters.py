"""The production adapters, each core unit's made by its record (``Unit.makes``, in its
``bootstrap/<capability>.py``: ``build``) and each optional unit's (``Unit.adapters``),
and the record of them the composition root hands out: ``Adapters``, the platform and each
unit with its adapters, a core unit's read by their type (``adapters.of(AccountsAdapters)``)
and swapped by it (``adapters.with_(...)``), docs/decisions/0845-the-core-makes-its-own-adapters.md.
It names no capability.

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
from bootstrap import platform
from bootstrap.platform import JobQueueFactory, Platform
from bootstrap.unit import Footing, Placed
from bootstrap.units import core_units, units_on
from infrastructure.firestore.client import make_client
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

__all__ = ["Adapters", "JobQueueFactory", "build_adapters"]


@dataclass(frozen=True)
class Adapters:
    """The platform, each core unit with its adapters (``placed``, in the capability order)
    and each optional unit with its own (``units``). Tests build it from fakes
    (``tests/support/app.py``: ``Adapters.placing``), read a core unit's by their type
    (``of``) and swap them by it (``with_``)."""

    platform: Platform
    placed: Sequence[Placed[Any]]  # each core unit with its adapters (bootstrap/units.py)
    units: Sequence[Placed[Any]] = ()  # each unit with its adapters (bootstrap/units.py)

    @classmethod
    def placing(
        cls, platform: Platform, *, units: Sequence[Placed[Any]] = (), **core: object
    ) -> Adapters:
        """The record of each core unit's adapters given under its name (``accounts=...``,
        as the test fakes are); TypeError if one is missing or no core unit's name."""
        names = [unit.name for unit in core_units()]
        missing = [name for name in names if name not in core]
        unknown = sorted(set(core) - set(names))
        if missing or unknown:
            raise TypeError(f"core adapters missing: {missing}, of no core unit: {unknown}")
        placed = tuple(Placed(unit, core[unit.name]) for unit in core_units())
        return cls(platform=platform, placed=placed, units=units)

    def core(self) -> tuple[Placed[Any], ...]:
        """Each core unit with its adapters, in the capability order
        (docs/decisions/0810-the-core-units-placed-by-name.md)."""
        return tuple(self.placed)

    def of[T](self, kind: type[T]) -> T:
        """The core unit's adapters of type ``kind`` (``adapters.of(AccountsAdapters)``);
        LookupError if no core unit's are."""
        for placed in self.placed:
            if isinstance(placed.adapters, kind):
                return placed.adapters
        raise LookupError(f"no core unit's adapters are {kind.__name__}")

    def with_(self, *swapped: object) -> Adapters:
        """These adapters with each of ``swapped`` in place of the core unit's of its type
        (``adapters.with_(replace(adapters.of(MailAdapters), mailer=mailer))``); TypeError
        if no core unit's are of that type."""
        placed = list(self.placed)
        for new in swapped:
            at = [i for i, p in enumerate(placed) if isinstance(new, type(p.adapters))]
            if len(at) != 1:
                raise TypeError(f"no core unit's adapters are {type(new).__name__}")
            placed[at[0]] = Placed(placed[at[0]].unit, new)
        return replace(self, placed=tuple(placed))


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
    core = core_units()
    # What the core's units prepare for one another's adapters before any is made, each under
    # its taker's key: events' part of a change's commit, the orgs' reads of a session's org,
    # of the memberships' copies of token_version and of each request's memberships.
    offers = tuple(offer for unit in core for offer in unit.prepares(settings, client))
    # What every capability stands on, the outbound https client among it (its one CA bundle
    # and pool): the adapters that call out take their senders from it.
    built = platform.build(settings, client, metrics=metrics)
    footing = Footing(
        settings=settings,
        client=client,
        platform=built,
        metrics=metrics,
        hash_waited=hash_waited,
        offers=offers,
    )
    return Adapters(
        platform=built,
        placed=tuple(Placed(unit, unit.made(footing)) for unit in core),
        units=tuple(Placed(unit, unit.made(footing)) for unit in units_on(settings)),
    )
