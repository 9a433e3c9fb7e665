"""What the capabilities lend one another before any of them is bound: the platform with the
audit trail every event goes through, the job queue and its handlers, the rules an account and
a sign-in follow whichever capability asks, and the parts two capabilities share. A lower
capability takes what a higher one lends it as a port of its own (``SignInGate``,
``DomainHolders``, ``SignUpHook``, ``OwnedData``...), made here from the higher one's
adapters, each part by its owner's module (``bootstrap/<capability>.py``); the units' own
loans are fillings of their owners' slots (``Lent``), folded here by the owners' functions.
``bind`` (``binding.py``) then builds each capability's services from these records and the
capabilities below it (docs/contributing.md, "Wiring"; decision 0528).

No global here is named as a submodule of bootstrap is (``mail``, ``signin``, ...) unless it
is that submodule: importing the submodule would replace it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from application.jobs import JOBS, SWEEP, SWEEPS, TIMERS, JobHandler, JobRunner, Sweeps
from bootstrap import (
    accounts,
    hooks,
    signin_policies,
)
from bootstrap.provider import ProviderAdapters
from bootstrap.signin_adapters import SigninAdapters
from bootstrap.unit import (
    AUDIT_TRAILS,
    EVERY_UNIT,
    UNITS_ON,
    Kernel,
    Lent,
    Unit,
    lent_early,
    lent_late,
)
from bootstrap.unit import lent as lent_by
from bootstrap.units import core_units
from domain.slots import filled, last_filled
from infrastructure.settings import Settings
from interfaces.shared.limits import request_origin

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
    policies = made.offered(signin_policies.SIGNIN_POLICIES)
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
    hook_parts = lending.offered(hooks.HOOK_PARTS)
    lent = [*core_lent, *lent_by(adapters.units, kernel)[0]]
    shared, rules, lending = _account_rules(
        settings,
        adapters,
        lending,
        hook_parts=hook_parts,
        lent=lent,
        policies=policies,
        units=units,
    )
    # What the core's units run once these loans are made (their jobs, their sweeps and
    # the timers that start them), on a kernel that offers the loans (the early ones too:
    # the webhooks' parts, the deliveries' channels, the clients' parts; the late ones: the
    # orgs' parts) and holds their adapters.
    core_kernel = lending.offering(accounts.SHARED(shared))
    lent = [*(placed.running(core_kernel) for placed in adapters.core()), *lent]
    # The runner's mapping: a kind two units lend is the later one's.
    handlers.update(filled(lent, JOBS))
    # The passes a scheduler runs: in this process (the timers, once every handler is in),
    # and as jobs for a scheduler outside it (docs/reference/jobs.md, "Sweeps").
    handlers[SWEEP] = Sweeps(dict(filled(lent, SWEEPS))).run_job
    for start in filled(lent, TIMERS):
        start()
    # What the core's units are built on: the loans, offered under their owners' keys.
    core = core_kernel.offering(
        signin_policies.SIGNIN_RULES(rules),
        UNITS_ON(tuple(placed.unit for placed in adapters.units)),
    )
    return Loans(core=core, kernel=kernel, run=run)


def _account_rules(
    settings: Settings,
    adapters: Adapters,
    lending: Kernel,
    *,
    hook_parts: hooks.HookParts,
    lent: list[Lent],
    policies: signin_policies.SigninPolicies,
    units: tuple[Unit[Any], ...],
) -> tuple[accounts.Shared, signin_policies.SigninPolicies, Kernel]:
    """The rules an account and a sign-in follow whichever capability asks, and the kernel
    once the core's units made what takes what every unit lent (``lends_late``: what an org
    owns of the accounts); ``lending``: the kernel the core's units lent on, with what every
    unit lent early; ``lent``: what the units lent; ``policies``: what the settings and the
    units' slots decide for signing in; ``units``: every unit, whose static slots the owners
    read."""
    base, queue = lending.platform, lending.queue
    acc, sig, prov = (
        adapters.of(accounts.AccountsAdapters),
        adapters.of(SigninAdapters),
        adapters.of(ProviderAdapters),
    )
    # An attribute may be released as a claim by the provider, under the scopes it offers
    # (``RELEASE_SCOPES``), never as a reserved claim (the provider's own among them).
    schemas = accounts.bind_profile_schemas(
        acc, settings, units=units, claims=policies.token_policy.claims.reserved
    )
    # Asked of a sign-in, a sign-up or an e-mail code only when a signal fires
    # (docs/security.md).
    challenge_gate = accounts.bind_challenge_gate(acc, settings, platform=base)
    # Every way of signing in ends in one step, whose gate (lent by single sign-on) holds an
    # org's members to its single sign-on where the org requires it (docs/reference/sso.md);
    # an address follows the orgs' verified domains.
    # The door every new account passes, whoever makes it (a person, an org, the operators):
    # who may sign up, its refusals in the audit log; the challenge a person's sign-up passes
    # when a signal fires; then the operator's before_sign_up hook.
    rules = replace(
        policies,
        gate=signin_policies.lent_gate(lent),
        hold=signin_policies.lent_hold(lent),
        addresses=accounts.address_rule(settings, domains=accounts.lent_domains(lent)),
        legacy=signin_policies.lent_legacy(lent),
        signups=accounts.signups(
            settings,
            audit=base.audit,
            invitations=accounts.lent_invitations(lent),
            hook=hooks.before_sign_up(hook_parts.calls, schemas=schemas, origin=request_origin),
            gate=challenge_gate,
        ),
    )
    # What the other capabilities own per user, deleted with the account, the orgs'
    # memberships last: what an account holds under rules of its own (an org's last owner)
    # ends first, and may refuse the deletion.
    owned = [
        *accounts.lent_owned(lent),
        sig.passkeys,
        sig.factors,
        prov.oauth_grants,
        sig.personal_tokens,
    ]
    # What the core's units make once every unit lent, on what they all lent and offered:
    # the orgs' parts (the accounts an org manages, its SCIM or single sign-on made them,
    # deleted with it, through the account deletion, with what every capability keeps per
    # user; a deleted org's purge; an account's departures, ended first and deleted last).
    late, lending = lent_late(
        adapters.core(),
        replace(
            lending, fills=(*lending.fills, *(fill for one in lent for fill in one.fills))
        ).offering(accounts.OWNED(tuple(owned))),
    )
    # The mails that follow a new account and a profile change (mail's); an address newly
    # proven anywhere joins the org that auto-joins its domain.
    account_hooks = accounts.lent_change_hooks(lent)
    passwords = accounts.password_screen(acc, settings, platform=base)
    shared = accounts.Shared(
        platform=base,
        queue=queue,
        schemas=schemas,
        challenge_gate=challenge_gate,
        passwords=passwords,
        addresses=rules.addresses,
        hold=rules.hold,
        signups=rules.signups,
        owned=(*owned, *accounts.lent_owned(late)),
        movable=accounts.lent_movable(lent),
        box=sig.secret_box,
        departures=filled(late, accounts.DEPARTURES),
        hooks=account_hooks,
        check_password=signin_policies.password_check(
            sig.throttle, rules, accounts=acc, platform=base, hooks=hook_parts.calls
        ),
        guest_ttl=rules.guest_ttl,
        # A guest's upgrade is a sign-in too: the before_sign_in hooks have their say on it,
        # before its commit (docs/guests.md, "Upgrading in place").
        sign_in_check=signin_policies.upgrade_sign_ins(hook_parts.calls, platform=base),
    )
    return shared, rules, lending
