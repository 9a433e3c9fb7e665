"""The record a unit fills: what a feature adds to the service, as data the kernel iterates
(docs/contributing.md, "Units").

A unit (tasks, dogs, ...) lives in folders or modules named by it in each layer, in
``bootstrap/<unit>.py``, whose ``UNIT`` is one of these records, and in one line of
``bootstrap/units.py``. The kernel makes each unit's adapters, folds what the units lend the
core's slots (``Lent``: fillings of their owners' keys: data deleted with an account, data a
merged guest's account is given, job handlers), then builds each (``Built``: its use cases), and
hands the shell what they add. No registry names a unit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from application.ports import NO_METRICS, AuditLog, JobQueue, Metrics
from domain.slots import Filling, Slot, filled, last_filled

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from bootstrap.platform import Platform
    from infrastructure.settings import Settings
    from infrastructure.settings.group import SettingsGroup
    from interfaces.cli import CommandGroup, Commands
    from interfaces.web.parts import Pages


@dataclass(frozen=True, kw_only=True)
class Kernel:
    """What every unit is built on: the settings, the platform (its clock, audit trail,
    metrics), the job queue every capability's jobs go through, and what the core's units
    offer the others (``offers``), each under a key its owner declares and read typed by
    ``offered``: the hooks' callers (``HOOK_CALLERS``: ``caller_for(KIND)`` of a kind the unit
    lends), the orgs' repository (``ORG_REPOSITORY``: a unit that keeps an org's settings
    reads and changes them, docs/decisions/0770-what-the-agents-unit-is.md), signin's ways in
    by a code (``CODE_WAYS``) and, once the core is bound (for ``build``), its stores
    (``SIGNIN_STORES``)."""

    settings: Settings
    platform: Platform
    queue: JobQueue
    offers: Sequence[Filling[Any]] = ()
    # The core units' adapters, read by their type (``adapters_of(AccountsAdapters)``): held
    # only by the kernel the core's own ``lends`` are called on, once the loans are made.
    adapters: Sequence[object] = ()
    # The queue webhook deliveries wait on when the platform has one of their own (else
    # ``queue``), for the early lends (``Unit.lends_early``).
    webhook_queue: JobQueue | None = None
    # What the units that lent early before this one filled (``CLIENT_RESOLVERS``...), read
    # with ``filled(KEY)``: held by the kernels of the early lends (``lent_early``) and by the
    # core's kernel once they all lent (sign-in's ``RESERVED_CLAIMS``, ``SECRET_BOXES``).
    fills: Sequence[Filling[Any]] = ()

    def offered[T](self, key: Slot[T]) -> T:
        """What the core offers under ``key``: the last offer made of it (LookupError if
        none is, as in a kernel made without the core: a test's)."""
        found: list[T] = [
            item for offer in self.offers if offer.slot is key for item in offer.items
        ]
        if not found:
            raise LookupError(f"the kernel offers no {key.name}")
        return found[-1]

    def filled[T](self, key: Slot[T]) -> tuple[T, ...]:
        """What the units that lent early before this kernel's holder put under ``key``, in
        their order."""
        return filled((self,), key)

    def last_filled[T](self, key: Slot[T]) -> T:
        """What the last unit that lent early put under ``key`` (LookupError if none did)."""
        return last_filled((self,), key)

    def offering(self, *offers: Filling[Any]) -> Kernel:
        """This kernel with ``offers`` made too (an offer made again replaces the last)."""
        return replace(self, offers=(*self.offers, *offers))

    def adapters_of[T](self, kind: type[T]) -> T:
        """The core unit's adapters of type ``kind`` (LookupError if it holds none)."""
        for adapters in self.adapters:
            if isinstance(adapters, kind):
                return adapters
        raise LookupError(f"the kernel holds no {kind.__name__}")


@dataclass(frozen=True, kw_only=True)
class Footing:
    """What the core's units make their adapters on (``Unit.makes``): the settings, the
    Firestore client, the platform (its outbound client among it), the metrics and what is
    told each argon2 hash's wait, and what the core's units prepare for one another's
    adapters (``Unit.prepares``), each under a key the taker declares (the accounts'
    ``STAGED_WRITES``, ``TOKEN_VERSION_COPIES``, signin's ``MEMBERSHIP_PARTS``,
    ``ACTIVE_ORGS``), read typed by ``offered``
    (docs/decisions/0845-the-core-makes-its-own-adapters.md)."""

    settings: Settings
    client: Client
    platform: Platform
    metrics: Metrics = NO_METRICS
    hash_waited: Callable[[float], None] | None = None
    offers: Sequence[Filling[Any]] = ()

    def offered[T](self, key: Slot[T]) -> T:
        """What a core unit prepared under ``key``: the last one (LookupError if none)."""
        found: list[T] = [
            item for offer in self.offers if offer.slot is key for item in offer.items
        ]
        if not found:
            raise LookupError(f"no core unit prepares {key.name}")
        return found[-1]


@dataclass(frozen=True, kw_only=True)
class Lent:
    """What a unit lends the slots of the core below it, before any capability is bound:
    fillings made from its adapters and the kernel (``OWNED_DATA(repo)``: deleted with the
    account; ``MOVABLE_DATA(repo)``: given to the account a guest is merged into;
    ``JOBS((kind, handler))``: its jobs; ``SWEEPS((name, sweep))``, ``TIMERS(start)``: its
    periodic passes), each slot's key declared by its owner and read by it with
    ``filled(lent, KEY)``), and what it offers the units that lend after it, and every
    unit then (``offers``: the hooks' callers, ``HOOK_CALLERS``; the orgs' repository,
    ``ORG_REPOSITORY``; signin's ways in by a code, ``CODE_WAYS``; the provider's grants,
    ``ENDED_GRANTS``), read with ``kernel.offered(KEY)``."""

    fills: Sequence[Filling[Any]] = ()
    offers: Sequence[Filling[Any]] = ()


@dataclass(frozen=True, kw_only=True)
class Built:
    """What a unit adds once built: its use-case objects, reached by their type
    (``services().of(Tasks)``), and what it offers the units built after it (``offers``,
    each under a key its owner declares: the accounts' sign-ups, ``SIGNUPS``; signin's ways
    in by a code with their steps, ``CODE_WAYS``), which the kernel they are built on offers
    (docs/decisions/0820-the-core-built-from-its-records.md)."""

    services: Sequence[object] = ()
    offers: Sequence[Filling[Any]] = ()


def _lends_nothing(_adapters: object, _kernel: Kernel) -> Lent:
    return Lent()


def _no_adapters(_settings: Settings, _client: Client) -> None:
    return None


def _prepares_nothing(_settings: Settings, _client: Client) -> Sequence[Filling[Any]]:
    return ()


def _builds_nothing(_adapters: object, _kernel: Kernel) -> Built:
    return Built()


def _no_blueprints() -> Sequence[Blueprint]:
    return ()


def _no_limits(_settings: Settings) -> Mapping[tuple[str, str], str]:
    return {}


@dataclass(frozen=True, kw_only=True)
class Unit[A]:
    """One unit: its name (its folders' and its line's in ``units.py``), its production
    adapters, what it lends the core, what it builds, its JSON API's blueprints and its
    pages, each loaded by a function that imports the route or page modules (in the worker,
    as the app is made; in gunicorn's master before the fork). ``A``: its adapters' record,
    which tests make from fakes. A core unit (``optional=False``) cannot be left out; its
    adapters are made by its ``makes`` on the footing the kernel lays (``Footing``: the
    platform, what the core's ``prepares`` offer; docs/decisions/0845); its ``runs``
    (its jobs, sweeps, timers) is called once the core's loans are made (``Adapters.core()``,
    docs/decisions/0810-the-core-units-placed-by-name.md); its ``build`` (its module's
    ``built``, which calls its ``wire``) on the kernel that holds the core's adapters and
    offers the loans (docs/decisions/0820-the-core-built-from-its-records.md)."""

    name: str
    adapters: Callable[[Settings, Client], A] = _no_adapters  # type: ignore[assignment]
    # A core unit's adapters, made on the platform and what the core's units prepare for
    # one another (``Footing``); None: ``adapters`` makes them, of the settings and client.
    makes: Callable[[Footing], A] | None = None
    # What it prepares for the other core units' adapters before any is made, each under a
    # key the taker declares (events' staged writer, the orgs' reads): ``Footing.offered``.
    prepares: Callable[[Settings, Client], Sequence[Filling[Any]]] = _prepares_nothing
    build: Callable[[A, Kernel], Built] = _builds_nothing
    lends: Callable[[A, Kernel], Lent] = _lends_nothing
    # What it runs that takes the core's loans made (the core's units': their jobs, sweeps
    # and timers, ``JOBS``, ``SWEEPS``, ``TIMERS`` of application/jobs.py), made on a kernel
    # that offers those loans (docs/decisions/0810-the-core-units-placed-by-name.md).
    runs: Callable[[A, Kernel], Lent] = _lends_nothing
    optional: bool = True
    # Its own settings' groups (``settings.group(Group)`` reads one), documented with
    # the core's (docs/configuration.md).
    settings: Sequence[type[SettingsGroup]] = ()
    api: Callable[[], Sequence[Blueprint]] = _no_blueprints
    # The replaced systems' routes (docs/migrating.md), with COMPAT_ROUTES only.
    compat_api: Callable[[], Sequence[Blueprint]] = _no_blueprints
    # Its JSON API routes' per-address request limits, by (method, path rule), from the
    # settings ("10/minute,100/hour"; empty: none): docs/security.md.
    limits: Callable[[Settings], Mapping[tuple[str, str], str]] = _no_limits
    # The command line: the groups it owns, and its commands in its own or another's group.
    cli_groups: Sequence[CommandGroup] = ()
    cli: Sequence[Commands] = ()
    # Its pages, loaded by a function that imports its page modules (as ``api``) and says
    # what they add to the pages the capabilities share (interfaces/web/parts.py); None: none.
    pages: Callable[[], Pages] | None = None
    # What it puts in the slots the core's units own (domain/slots.py): each a key declared
    # where its owner lives, filled typed (``CLAIM_SOURCES(TENANT)``, ``USER_PARTS(Guest)``,
    # ``HOOK_KINDS(SEND_SMS)``) and read by the owner (``filled(units, CLAIM_SOURCES)``).
    fills: Sequence[Filling[Any]] = ()
    # What it lends before the platform's audit trail is made, from its adapters and a
    # kernel that offers what the units before it lent early (the optional units' first,
    # then the core's, ``lent_early``), whose platform has no audit trail yet: the fillings
    # of the slots that the audit trail's own parts read, as the clients' resolvers
    # (``CLIENT_RESOLVERS``, application/clients/ports.py: the agents' metadata documents),
    # which every lookup of a client asks before the store; the core's, those parts (the
    # webhooks', the clients', the provider's back-channel logout) and the audit trail's
    # maker (``AUDIT_TRAILS``, events').
    lends_early: Callable[[A, Kernel], Lent] = _lends_nothing
    # What a core unit makes once every unit lent (``lent_late``, in the capability order),
    # on the kernel that holds the core's adapters and what every unit lent and offered: the
    # parts that take what the others lend its slots (the accounts' and sign-in's rules, the
    # orgs' parts: an org's purge, ...).
    lends_late: Callable[[A, Kernel], Lent] = _lends_nothing

    def made(self, footing: Footing) -> A:
        """Its adapters, made on ``footing``: by ``makes`` (a core unit's), else by
        ``adapters`` of its settings and client."""
        if self.makes is not None:
            return self.makes(footing)
        return self.adapters(footing.settings, footing.client)


@dataclass(frozen=True)
class Placed[A]:
    """A unit with its adapters, as the kernel holds it once they are made."""

    unit: Unit[A]
    adapters: A

    def lent_early(self, kernel: Kernel) -> Lent:
        return self.unit.lends_early(self.adapters, kernel)

    def lent(self, kernel: Kernel) -> Lent:
        return self.unit.lends(self.adapters, kernel)

    def lent_late(self, kernel: Kernel) -> Lent:
        return self.unit.lends_late(self.adapters, kernel)

    def running(self, kernel: Kernel) -> Lent:
        return self.unit.runs(self.adapters, kernel)

    def built(self, kernel: Kernel) -> Built:
        return self.unit.build(self.adapters, kernel)


def lent(
    units: Sequence[Placed[Any]], kernel: Kernel
) -> tuple[tuple[Lent, ...], tuple[Filling[Any], ...]]:
    """What every unit lends on ``kernel``, in their order, each on the offers of the ones
    that lent before it, and every offer they made."""
    loans: list[Lent] = []
    offers: list[Filling[Any]] = []
    for placed in units:
        made = placed.lent(kernel.offering(*offers))
        loans.append(made)
        offers.extend(made.offers)
    return tuple(loans), tuple(offers)


def lent_early(units: Sequence[Placed[Any]], kernel: Kernel) -> tuple[tuple[Lent, ...], Kernel]:
    """What every unit lends before the audit trail is made, in their order, each on
    ``kernel`` with what the ones before it filled and offered, and that kernel once they all
    lent (whose offers the core's kernel keeps)."""
    return _in_turn(units, kernel, Placed.lent_early)


def lent_late(units: Sequence[Placed[Any]], kernel: Kernel) -> tuple[tuple[Lent, ...], Kernel]:
    """What every unit makes once every unit lent, as ``lent_early`` folds it."""
    return _in_turn(units, kernel, Placed.lent_late)


def _in_turn(
    units: Sequence[Placed[Any]], kernel: Kernel, lend: Callable[[Placed[Any], Kernel], Lent]
) -> tuple[tuple[Lent, ...], Kernel]:
    loans: list[Lent] = []
    for placed in units:
        made = lend(placed, kernel)
        loans.append(made)
        kernel = replace(kernel, fills=(*kernel.fills, *made.fills)).offering(*made.offers)
    return tuple(loans), kernel


# What makes the platform's audit trail once every unit lent early, on the kernel they lent
# on (its platform's audit log is the one the trail wraps): the last filling (events').
AUDIT_TRAILS = Slot[Callable[[Kernel], AuditLog]]("the audit trail")


# What is made once every unit lent late, on the kernel that holds what they all lent and
# offered, and offered the core's ``runs`` and ``build``: the accounts' shared rules
# (``SHARED``), each maker's offer.
MADE_LAST = Slot[Callable[[Kernel], Filling[Any]]]("what is made once every unit lent late")


# Every unit's record, the core's then the optional ones this service runs, offered the
# early lends: the static fillings their owners read (``CLAIM_SOURCES``, ``HOOK_KINDS``...).
EVERY_UNIT = Slot[Sequence[Unit[Any]]]("every unit")


# The optional units this service runs, offered the core's units as they are built (the
# provider holds their fillings of its slots).
UNITS_ON = Slot[Sequence[Unit[Any]]]("the optional units")


def built(
    units: Sequence[Placed[Any]], kernel: Kernel
) -> tuple[tuple[object, ...], tuple[Filling[Any], ...]]:
    """Every unit built on ``kernel``, in their order, each on the offers of the ones built
    before it: their use-case objects, which ``Services`` holds by their type, and every
    offer they made, for the units built after them."""
    services: list[object] = []
    offers: list[Filling[Any]] = []
    for placed in units:
        made = placed.built(kernel.offering(*offers))
        services.extend(made.services)
        offers.extend(made.offers)
    return tuple(services), tuple(offers)
