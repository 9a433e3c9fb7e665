"""``bind``: the use cases of every capability, each bound to its own adapters and what it
names of the others', into ``Services`` (docs/decisions/0042-wiring-per-feature.md), as each
process that serves builds its app.

No global here is named as a submodule of bootstrap is (``mail``, ``signin``, ...) unless it
is that submodule: importing the submodule would replace it.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from application import jobs as job_runs
from application.events.security_events import WithRequestOrigin
from application.jobs import JobHandler
from application.mail.sending import NotifyingAuditLog
from application.ports import OwnedData
from application.services import Services
from bootstrap import (
    accounts,
    events,
    federation,
    mail,
    migration,
    orgs,
    platform,
    provider,
    resources,
    scim,
    signin,
    sso,
)
from bootstrap.federation import SignedIn
from infrastructure.settings import Settings
from interfaces.shared.limits import request_origin

if TYPE_CHECKING:
    from bootstrap.adapters import Adapters


def bind(settings: Settings, adapters: Adapters) -> Services:
    """The use cases of every capability, each bound to its own adapters and what it names of
    the others'."""
    base, acc, sig = adapters.platform, adapters.accounts, adapters.signin
    fed, mel, evt, prov, res = (
        adapters.federation,
        adapters.mail,
        adapters.events,
        adapters.provider,
        adapters.resources,
    )
    # Every way of signing in ends in one step, whose gate holds an org's members to its
    # single sign-on where the org requires it (docs/reference/sso.md); whether any org has
    # single sign-on is remembered once for it and the sign-in page.
    any_sso = sso.presence(adapters.sso, adapters.platform.clock)
    rules = replace(
        signin.policies(settings),
        gate=sso.required_sso(adapters.sso, settings, orgs=adapters.orgs, any_sso=any_sso),
        hold=sso.account_hold(orgs=adapters.orgs),
    )
    # The queue runs every capability's jobs; the handlers are bound after it, as some queue
    # jobs themselves. Queued or pushed, a job runs through the same ``run`` (in a span, with
    # traces on).
    handlers: dict[str, JobHandler] = {}
    clients = provider.client_cache(prov, settings)
    run = base.job_spans(functools.partial(job_runs.run_job, handlers=handlers))
    queue = base.job_queue(run)
    # Webhook deliveries wait for their receivers: on threads (or a subscription) of their own,
    # so that no mail waits behind them (docs/reference/jobs.md).
    hooks = base.webhook_queue(run) if base.webhook_queue is not None else queue
    # Every audit event is also stored where the account's owner and the admins read it,
    # with its webhook deliveries, and a change to how an account signs in, or a sign-in from
    # a new device, queues its notice; each carries the address and user agent of the request
    # that caused it.
    webhooks = events.webhook_policy(settings)
    box = events.outbox(evt, webhooks, platform=base, queue=hooks)
    # Every way a session ends is an audit event: it tells the clients holding grants of the
    # session, through the same outbox (back-channel logout).
    ends, channels = provider.back_channel_logout(
        prov, settings, webhooks=webhooks, platform=base, clients=clients
    )
    stored = events.stored_audit(evt, platform=base, box=box, ends=ends)
    audit = WithRequestOrigin(NotifyingAuditLog(stored, queue, base.clock), request_origin)
    base = replace(base, audit=audit)
    # What a deleted org owns, deleted by its job: the orgs' own kinds, and the other
    # capabilities' data of an org: its OAuth clients, its members' org-scoped tokens, its
    # single sign-on connections, its directory's SCIM tokens, users and groups.
    org_purge = orgs.org_purge(
        adapters.orgs,
        others=(
            clients,
            sig.personal_tokens,
            adapters.sso.connections,
            adapters.scim.tokens,
            adapters.scim.users,
            adapters.scim.groups,
        ),
    )
    handlers.update(
        resources.handlers(res, platform=base)
        | mail.handlers(
            mel,
            settings,
            accounts=acc,
            platform=base,
            queue=queue,
            names=sso.way_in_names(
                adapters.sso, orgs=adapters.orgs, providers=fed.upstream_providers
            ),
        )
        | orgs.handlers(org_purge)
        | orgs.invitation_handlers(adapters.orgs, settings, accounts=acc, mail=mel, platform=base)
        | sso.certificate_handlers(
            adapters.sso,
            settings,
            orgs=adapters.orgs,
            accounts=acc,
            mail=mel,
            platform=base,
            queue=queue,
        )
        | events.webhook_handlers(
            evt,
            webhooks,
            users=acc.users,
            box_key=sig.secret_box,
            platform=base,
            box=box,
            queue=queue,
            channels=channels,
        )
    )
    events.start_sweeper(evt, webhooks, platform=base, queue=hooks)
    certificate_sweep = sso.certificate_sweep(adapters.sso, platform=base, queue=queue)
    sso.start_certificate_sweeper(settings, evt.scheduler, certificate_sweep)
    # What the other capabilities own per user, deleted with the account; what it holds
    # under rules of its own (an org's last owner) ends first, and may refuse the deletion.
    departures = orgs.departures(adapters.orgs, platform=base, queue=queue, purge=org_purge)
    owned: list[OwnedData] = [
        *resources.owned(res),
        sig.passkeys,
        sig.factors,
        prov.oauth_grants,
        sig.personal_tokens,
        departures,
    ]
    # An address newly proven anywhere joins the org that auto-joins its domain.
    account_hooks = replace(
        mail.account_hooks(base, queue=queue),
        proven=orgs.address_proven(adapters.orgs, platform=base),
    )
    signed_in = SignedIn(acc, sig, rules, base, grants=prov.oauth_grants)
    return Services(
        accounts=accounts.bind_accounts(
            acc,
            settings,
            platform=base,
            owned=owned,
            departures=[departures],
            hooks=account_hooks,
            check_password=signin.password_check(sig, rules, accounts=acc, platform=base),
            hold=rules.hold,
        ),
        active_org=orgs.bind_active_org(accounts=acc, signin=sig, platform=base),
        admin=accounts.bind_admin(acc, platform=base, owned=owned, departures=[departures]),
        authentication=accounts.bind_authentication(
            acc,
            platform=base,
            tokens=sig.tokens,
            reauth_max_age=timedelta(seconds=settings.signin.reauth_max_age),
        ),
        datasets=resources.bind_datasets(res, settings, platform=base),
        dogs=resources.bind_dogs(res, platform=base, queue=queue),
        email=mail.bind_flows(
            mel,
            accounts=acc,
            signin=sig,
            rules=rules,
            platform=base,
            grants=prov.oauth_grants,
            queue=queue,
            hooks=account_hooks,
        ),
        events=events.bind_events(evt, users=acc.users),
        files=resources.bind_files(res, settings, platform=base),
        firebase=federation.bind_firebase(fed, signed_in=signed_in, hooks=account_hooks),
        identities=federation.bind_connected(acc, signin=sig, platform=base),
        jobs=platform.bind_jobs(base, settings, run=run),
        login=signin.bind_login(sig, rules, accounts=acc, platform=base),
        moves=migration.bind_moves(
            adapters.migration,
            accounts=acc,
            platform=base,
            providers=functools.partial(federation.provider_ids, fed),
        ),
        oauth=provider.bind_oauth(
            prov,
            settings,
            accounts=acc,
            signin=sig,
            rules=rules,
            platform=base,
            orgs=adapters.orgs.orgs,
            clients=clients,
            deliveries=evt.webhook_deliveries,
        ),
        orgs=orgs.bind_orgs(
            adapters.orgs,
            users=acc.users,
            events=evt.security_events,
            platform=base,
            queue=queue,
            purge=org_purge,
            sso_ready=sso.sso_ready(adapters.sso),
        ),
        org_members=orgs.bind_members(adapters.orgs, users=acc.users, platform=base),
        org_joining=orgs.bind_joining(adapters.orgs, users=acc.users, platform=base),
        org_domains=orgs.bind_domains(adapters.orgs, platform=base),
        org_invitations=orgs.bind_invitations(
            adapters.orgs, settings, accounts=acc, platform=base, queue=queue, hooks=account_hooks
        ),
        passkeys=signin.bind_passkeys(sig, rules, accounts=acc, platform=base),
        personal_tokens=signin.bind_personal_tokens(sig, accounts=acc, platform=base),
        sessions=signin.bind_sessions(sig, rules, accounts=acc, platform=base),
        sso_connections=sso.bind_connections(
            adapters.sso,
            settings,
            orgs=adapters.orgs.orgs,
            box=sig.secret_box,
            platform=base,
            any_sso=any_sso,
        ),
        sso_setup=sso.bind_setup_links(
            adapters.sso,
            settings,
            orgs=adapters.orgs.orgs,
            box=sig.secret_box,
            platform=base,
            any_sso=any_sso,
        ),
        sso_certificate_sweep=certificate_sweep,
        saml=sso.bind_saml(adapters.sso),
        scim_tokens=scim.bind_tokens(adapters.scim, orgs=adapters.orgs.orgs, platform=base),
        scim_users=scim.bind_users(
            adapters.scim, users=acc.users, orgs=adapters.orgs, platform=base
        ),
        scim_groups=scim.bind_groups(adapters.scim, orgs=adapters.orgs, platform=base),
        saml_signin=sso.bind_saml_signin(
            adapters.sso, orgs=adapters.orgs, signed_in=signed_in, hooks=account_hooks
        ),
        sso_discovery=sso.bind_discovery(
            adapters.sso, settings, orgs=adapters.orgs, any_sso=any_sso
        ),
        oidc_signin=sso.bind_oidc_signin(
            adapters.sso,
            settings,
            orgs=adapters.orgs,
            signed_in=signed_in,
            hooks=account_hooks,
        ),
        tasks=resources.bind_tasks(res, platform=base),
        totp=signin.bind_totp(sig, rules, accounts=acc, platform=base),
        upstream=federation.bind_upstream(fed, settings, signed_in=signed_in, hooks=account_hooks),
        webhooks=events.bind_webhooks(
            evt, webhooks, box_key=sig.secret_box, platform=base, box=box, queue=hooks
        ),
        ready=base.ready,
        request_counter=base.request_counter,
        metrics=base.metrics,
    )
