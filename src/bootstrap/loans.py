"""What the capabilities lend one another before any of them is bound: the platform with the
audit trail every event goes through, the job queue and its handlers, the rules an account and
a sign-in follow whichever capability asks, and the parts two capabilities share. A lower
capability takes what a higher one lends it as a port of its own (``SignInGate``,
``DomainHolders``, ``SignUpHook``, ``OwnedData``...), made from the higher one's adapters,
each part by its owner's record (``bootstrap/<capability>.py``): what the records lend early,
lend and make late (``Lent``: fillings of their owners' slots and offers under their keys),
folded here in the units' order; what takes every late step (the accounts' ``Shared``) by the
makers they fill in ``MADE_LAST`` (docs/decisions/0850); this module names no capability.
``bind`` (``binding.py``) then builds each capability's services from these records and the
capabilities below it (docs/contributing.md, "Wiring"; decision 0528).

No global here is named as a submodule of bootstrap is (``mail``, ``signin``, ...) unless it
is that submodule: importing the submodule would replace it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from application.jobs import JOBS, SWEEP, SWEEPS, TIMERS, JobHandler, JobRunner, Sweeps
from bootstrap.unit import (
    AUDIT_TRAILS,
    EVERY_UNIT,
    MADE_LAST,
    UNITS_ON,
    Kernel,
    Unit,
    lent_early,
    lent_late,
)
from bootstrap.unit import lent as lent_by
from bootstrap.units import core_units
from domain.slots import filled, last_filled
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from bootstrap.adapters import Adapters


@dataclass(frozen=True, kw_only=True)
class Loans:
    """What ``lend`` makes: the kernels the units are built on, each offering the loans under
    keys their owners declare, and what runs any job."""

    # What the core's units are built on: their adapters (read by their type) and every loan
    # (``SHARED``, ``SIGNIN_RULES``, ``HOOK_PARTS``, ``WEBHOOK_PARTS``, ``ORG_PARTS``,
    # ``CLIENT_PARTS``, ...), and what the core's ``lends`` offer (``HOOKED_MAIL``,
    # ``SSO_PARTS``, ...).
    core: Kernel
    # What the optional units are built on: the core's offers to the units, none of its
    # adapters.
    kernel: Kernel
    run: JobHandler  # what runs any job, queued or pushed


def lend(settings: Settings, adapters: Adapters) -> Loans:
    """What the capabilities lend one another, from their adapters; the webhook and
    certificate sweepers are started here when the settings say so."""
    base = adapters.platform
    # The queue runs every capability's jobs; the handlers are added below, as some of them
    # queue jobs themselves. Queued or pushed, a job runs through the same ``run`` (in a
    # span, with traces on). Webhook deliveries wait for their receivers on a queue of their
    # own, so that no mail waits behind them (docs/reference/jobs.md).
    handlers: dict[str, JobHandler] = {}
    run = base.job_spans(JobRunner(handlers=handlers).run)
    queue = base.job_queue(run)
    webhook_queue = base.webhook_queue(run) if base.webhook_queue is not None else queue
    # What the units lend before the audit trail is made, the optional ones first, on the
    # platform without it: their resolvers of clients known other than by registration (the
    # agents' metadata documents), which every lookup of a client asks first; then the core's:
    # the webhooks' parts, the clients' (their cache), the provider's back-channel logout
    # (every way a session ends is an audit event: it tells the clients holding grants of
    # the session, through the same outbox), and the maker of the audit trail (events').
    # Sign-in's early lend: what the settings decide for signing in, with the claims the
    # units put in tokens, which every minting iterates and no hook answer or profile
    # attribute may set, and what a kind of session may not do, as the units that make it
    # say (docs/contributing.md, "Units"), read from every unit's record.
    units: tuple[Unit[Any], ...] = (*core_units(), *(placed.unit for placed in adapters.units))
    early, made = lent_early(
        (*adapters.units, *adapters.core()),
        Kernel(
            settings=settings,
            platform=base,
            queue=queue,
            webhook_queue=webhook_queue,
            offers=(EVERY_UNIT(units),),
        ),
    )
    base = replace(base, audit=last_filled(early, AUDIT_TRAILS)(made))
    # The core's units lend first, on a kernel that holds their adapters (read by their type)
    # and what they lent early: what a lower capability takes of a higher one, in the taker's
    # slots (sign-in's gate and the accounts' hold, sso's; a legacy password's check, ...),
    # each on what the ones before it offer (the hooks' parts and callers: the operator's
    # own code at fixed points, docs/hooks.md, of the kinds the units lend, whose answers
    # may set none of the reserved claims, and through which every mail goes when a
    # send_mail hook is set; the orgs' repository, a way in by a code, the provider's
    # grants).
    kernel = Kernel(settings=settings, platform=base, queue=queue)
    lending = replace(
        kernel,
        adapters=tuple(placed.adapters for placed in adapters.core()),
        offers=made.offers,
        fills=made.fills,
    )
    core_lent, offers = lent_by(adapters.core(), lending)
    # The kernel the units lend on, with what the core offers them and none of its adapters;
    # what they lend the core's slots: their data, deleted with an account or given to the
    # account a guest is merged into, and their jobs.
    kernel, lending = kernel.offering(*offers), lending.offering(*offers)
    lent = [*core_lent, *lent_by(adapters.units, kernel)[0]]
    # What the core's units make once every unit lent, in the capability order, on what they
    # all lent and offered (``lends_late``): the accounts' rules (the profile schemas, the
    # challenge a signal asks, the rule an address follows, the door every new account
    # passes, whose before_sign_up the hooks lend), sign-in's rules and what it lends the
    # accounts (what it keeps per user among it), the orgs' parts (the accounts an org
    # manages, a deleted org's purge, an account's departures, ended first and deleted last).
    late, lending = lent_late(
        adapters.core(),
        replace(lending, fills=(*lending.fills, *(fill for one in lent for fill in one.fills))),
    )
    # What the core's units run once these loans are made (their jobs, their sweeps and
    # the timers that start them), on a kernel that offers the loans (the early ones too:
    # the webhooks' parts, the deliveries' channels, the clients' parts; the late ones: the
    # rules of signing in, the orgs' parts) and what the late steps' makers make of them all
    # (``MADE_LAST``: the accounts' shared rules), and holds their adapters.
    core_kernel = lending.offering(*(make(lending) for make in filled(late, MADE_LAST)))
    lent = [*(placed.running(core_kernel) for placed in adapters.core()), *lent]
    # The runner's mapping: a kind two units lend is the later one's.
    handlers.update(filled(lent, JOBS))
    # The passes a scheduler runs: in this process (the timers, once every handler is in),
    # and as jobs for a scheduler outside it (docs/reference/jobs.md, "Sweeps").
    handlers[SWEEP] = Sweeps(dict(filled(lent, SWEEPS))).run_job
    for start in filled(lent, TIMERS):
        start()
    # What the core's units are built on: the loans, offered under their owners' keys.
    core = core_kernel.offering(UNITS_ON(tuple(placed.unit for placed in adapters.units)))
    return Loans(core=core, kernel=kernel, run=run)
