"""The record a unit fills: what a feature adds to the service, as data the kernel iterates
(docs/contributing.md, "Units").

A unit (tasks, dogs, ...) lives in folders or modules named by it in each layer, in
``bootstrap/<unit>.py``, whose ``UNIT`` is one of these records, and in one line of
``bootstrap/units.py``. The kernel makes each unit's adapters, folds what the units lend the
core's slots (``Lent``: data deleted with an account, data a merged guest's account is
given, job handlers), then builds each (``Built``: its use cases, its routes), and hands the
shell what they add. No registry names a unit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from application.jobs import JobHandler
from application.ports import JobQueue, MovableData, OwnedData, TokenIssuer
from domain.slots import Filling

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from application.accounts.accounts import UserRepository
    from application.accounts.ways_in import IdentityRepository
    from application.clients.ports import ClientResolver
    from application.hooks.caller import HookCalls
    from application.orgs.ports import OrgRepository
    from application.signin.codes.flow import CodeFlowStore, CodeSteps, Way
    from application.signin.factors.passkeys import PasskeyRepository
    from application.signin.sessions import SessionRepository
    from application.signin.tokens import TokenPolicy
    from bootstrap.platform import Platform
    from infrastructure.settings import Settings
    from infrastructure.settings.group import SettingsGroup
    from interfaces.cli import CommandGroup, Commands
    from interfaces.web.parts import Pages


@dataclass(frozen=True, kw_only=True)
class CodeWays:
    """Signin's slot for a unit's way in by a one-time code on a channel of its own (the
    phone unit's texts; docs/decisions/0532-one-code-flow-for-every-channel.md): the accounts
    its codes read, their ways in and passkeys (the rule that the last way in stays), and,
    once the core is bound (``bootstrap/binding.py``), the one code flow's steps for a
    ``Way`` over the unit's own flows. Made by ``bootstrap/loans.py``; a unit's ``build``
    reads ``steps``, its ``lends`` may not (None until then)."""

    users: UserRepository
    identities: IdentityRepository
    passkeys: PasskeyRepository
    steps: Callable[[Way, CodeFlowStore], CodeSteps] | None = None


@dataclass(frozen=True, kw_only=True)
class Kernel:
    """What every unit is built on: the settings, the platform (its clock, audit trail,
    metrics), the job queue every capability's jobs go through, the hooks, which a unit
    asks for the caller of a kind it lends (``hooks.caller_for(KIND)``), and the orgs'
    repository (owned by orgs), through which a unit that keeps an org's settings reads and
    changes them (the agents' policy: docs/decisions/0770-what-the-agents-unit-is.md). A unit
    built on the core's data reaches it in ``core`` (None while the units lend; set for
    ``build``)."""

    settings: Settings
    platform: Platform
    queue: JobQueue
    hooks: HookCalls
    orgs: OrgRepository
    # signin's: what a unit's way in by a code builds on (``CodeWays``); None in a kernel
    # made without the core (a test's)
    codes: CodeWays | None = None
    core: Core | None = None


@dataclass(frozen=True, kw_only=True)
class Core:
    """The core's stores a unit built on its data reaches (support access starts sessions of
    a person): the accounts, sign-in's sessions, access tokens and token policy (the claims
    the units lend among it), the orgs."""

    users: UserRepository
    sessions: SessionRepository
    tokens: TokenIssuer
    token_policy: TokenPolicy
    orgs: OrgRepository


@dataclass(frozen=True, kw_only=True)
class Lent:
    """What a unit lends the slots of the core below it, before any capability is bound."""

    owned: Sequence[OwnedData] = ()  # deleted with the account (accounts)
    movable: Sequence[MovableData] = ()  # given to the account a guest is merged into
    jobs: Mapping[str, JobHandler] = field(default_factory=dict)  # its jobs, by kind


@dataclass(frozen=True, kw_only=True)
class Built:
    """What a unit adds once built: its use-case objects, reached by their type
    (``services().of(Tasks)``)."""

    services: Sequence[object] = ()


def _lends_nothing(_adapters: object, _kernel: Kernel) -> Lent:
    return Lent()


def _no_adapters(_settings: Settings, _client: Client) -> None:
    return None


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
    adapters and use cases are still made by its ``bootstrap/<capability>.py`` and
    ``bind``."""

    name: str
    adapters: Callable[[Settings, Client], A] = _no_adapters  # type: ignore[assignment]
    build: Callable[[A, Kernel], Built] = _builds_nothing
    lends: Callable[[A, Kernel], Lent] = _lends_nothing
    optional: bool = True
    # Its own settings' groups (``settings.unit_group(Group)`` reads one), documented with
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
    # Its resolver of clients known other than by registration (application/clients/ports.py,
    # ``ClientResolver``: the agents' metadata documents), a slot the clients own: their cache
    # asks it before the store at every lookup. Made before any capability is bound
    # (bootstrap/loans.py), from its adapters, the settings, the platform and the client
    # address of the request being served ("" outside one).
    client_resolver: Callable[[A, Settings, Platform, Callable[[], str]], ClientResolver] | None = (
        None
    )


@dataclass(frozen=True)
class Placed[A]:
    """A unit with its adapters, as the kernel holds it once they are made."""

    unit: Unit[A]
    adapters: A

    def lent(self, kernel: Kernel) -> Lent:
        return self.unit.lends(self.adapters, kernel)

    def built(self, kernel: Kernel) -> Built:
        return self.unit.build(self.adapters, kernel)


def built(units: Sequence[Placed[Any]], kernel: Kernel) -> tuple[object, ...]:
    """Every unit built on ``kernel``: their use-case objects, which ``Services`` holds by
    their type."""
    return tuple(service for placed in units for service in placed.built(kernel).services)
