"""``bind``: every capability's service objects, each built from its own adapters and what it
names of the others', into ``Services`` (docs/decisions/0456-service-objects.md), as each
process that serves builds its app.

No global here is named as a submodule of bootstrap is (``mail``, ``signin``, ...) unless it
is that submodule: importing the submodule would replace it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from application.accounts.services import AccountServices
from application.clients.services import ClientServices
from application.events.security_events import WithRequestOrigin
from application.events.services import EventServices
from application.federation.services import FederationServices
from application.hooks.services import HookServices
from application.jobs import SWEEP, JobHandler, JobRunner, Sweeps
from application.mail.sending import NotifyingAuditLog
from application.mail.services import MailServices
from application.migration.services import MigrationServices
from application.orgs.services import OrgServices
from application.ports import OwnedData
from application.provider.services import ProviderServices
from application.resources.services import ResourceServices
from application.scim.services import ScimServices
from application.services import PlatformServices, Services
from application.signin.services import SigninServices
from application.sso.services import SsoServices
from bootstrap import (
    accounts,
    events,
    federation,
    hooks,
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
from bootstrap import clients as bootstrap_clients
from bootstrap.federation import SignedIn
from domain.hooks.before_token import RESERVED_CLAIMS
from domain.provider.claims_request import CLAIM_SCOPES
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
        addresses=accounts.address_rule(settings, domains=orgs.domain_holders(adapters.orgs)),
    )
    # The queue runs every capability's jobs; the handlers are bound after it, as some queue
    # jobs themselves. Queued or pushed, a job runs through the same ``run`` (in a span, with
    # traces on).
    handlers: dict[str, JobHandler] = {}
    clients = bootstrap_clients.client_cache(adapters.clients, settings)
    catalogue = bootstrap_clients.resource_catalogue(adapters.clients, settings)
    run = base.job_spans(JobRunner(handlers=handlers).run)
    queue = base.job_queue(run)
    # Webhook deliveries wait for their receivers: on threads (or a subscription) of their own,
    # so that no mail waits behind them (docs/reference/jobs.md).
    webhook_queue = base.webhook_queue(run) if base.webhook_queue is not None else queue
    # Every audit event is also stored where the account's owner and the admins read it,
    # with its webhook deliveries, and a change to how an account signs in, or a sign-in from
    # a new device, queues its notice; each carries the address and user agent of the request
    # that caused it.
    webhook_policy = events.webhook_policy(settings)
    outbox = events.webhook_outbox(evt, webhook_policy, platform=base, queue=webhook_queue)
    # Every way a session ends is an audit event: it tells the clients holding grants of the
    # session, through the same outbox (back-channel logout).
    ends, channels = provider.back_channel_logout(
        prov, settings, webhooks=webhook_policy, platform=base, clients=clients
    )
    stored = events.stored_audit(evt, platform=base, outbox=outbox, ends=ends)
    # The operator's own code at fixed points (docs/hooks.md): the hooks each process keeps,
    # shared by their callers and the admins' use cases.
    hook_policy = hooks.hook_policy(settings)
    hook_cache = hooks.hook_cache(adapters.hooks, hook_policy, platform=base)
    hook_caller = hooks.hook_caller(
        adapters.hooks, hook_policy, cache=hook_cache, box_key=sig.secret_box, platform=base
    )
    # The lower rooms ask the hooks through it: every token firegate issues carries the
    # before_token hook's claims, and every mail goes through the send_mail hook when one is
    # set (docs/hooks.md).
    rules = replace(rules, token_hook=hooks.token_hook(hook_caller))
    mel = mail.hooked_mail(mel, hook_caller)
    audit = WithRequestOrigin(
        inner=NotifyingAuditLog(log=stored, queue=queue, clock=base.clock), origin=request_origin
    )
    base = replace(base, audit=audit)
    # An attribute may be released as a claim by the provider, under the scopes it offers,
    # never as a reserved claim (the provider's own among them).
    schemas = accounts.bind_profile_schemas(
        acc, settings, scopes=CLAIM_SCOPES, claims=RESERVED_CLAIMS
    )
    # Asked of a sign-in, a sign-up or an e-mail code only when a signal fires
    # (docs/security.md).
    challenge_gate = accounts.bind_challenge_gate(acc, settings, platform=base)
    # The door every new account passes, whoever makes it (a person, an org, the operators):
    # who may sign up, its refusals in this audit log; the challenge a person's sign-up passes
    # when a signal fires; then the operator's before_sign_up hook.
    rules = replace(
        rules,
        signups=accounts.signups(
            settings,
            audit=audit,
            invitations=orgs.invited_addresses(adapters.orgs, base),
            hook=hooks.before_sign_up(hook_caller, schemas=schemas, origin=request_origin),
            gate=challenge_gate,
        ),
    )
    # Every use case that sets a password, and a sign-in, checks it against breached ones.
    passwords = accounts.password_screen(acc, settings, platform=base)
    # What the other capabilities own per user, deleted with the account (``owned``, which
    # the orgs' departures join below).
    owned: list[OwnedData] = [
        *resources.owned(res),
        sig.passkeys,
        sig.factors,
        prov.oauth_grants,
        sig.personal_tokens,
    ]
    # The accounts an org manages (its SCIM or single sign-on made them, and nothing made
    # them their holders' own), deleted with it, through the account deletion.
    managed = orgs.managed_accounts(
        adapters.orgs,
        accounts=acc,
        signin=sig,
        platform=base,
        directory=scim.directory_accounts(adapters.scim),
        outside=sso.outside_way_in(adapters.sso),
        owned=tuple(owned),
    )
    # What a deleted org owns, deleted by its job: the accounts it manages, the orgs' own
    # kinds, and the other capabilities' data of an org: its OAuth clients, its members'
    # org-scoped tokens, its single sign-on connections, its directory's SCIM tokens, users
    # and groups.
    org_purge = orgs.org_purge(
        adapters.orgs,
        managed,
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
            signin=sig,
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
            webhook_policy,
            users=acc.users,
            box_key=sig.secret_box,
            platform=base,
            outbox=outbox,
            queue=queue,
            channels=channels,
        )
    )
    delivery_sweeper = events.delivery_sweeper(evt, platform=base, queue=webhook_queue)
    events.start_sweeper(evt, webhook_policy, delivery_sweeper)
    certificate_sweep = sso.certificate_sweep(adapters.sso, platform=base, queue=queue)
    sso.start_certificate_sweeper(settings, evt.scheduler, certificate_sweep)
    # The same passes as jobs, for a scheduler outside the process (docs/reference/jobs.md,
    # "Sweeps").
    sweeps = Sweeps(
        {"webhooks": delivery_sweeper.sweep, "sso-certificates": certificate_sweep.sweep}
    )
    handlers[SWEEP] = sweeps.run_job
    # What an account holds under rules of its own (an org's last owner) ends first, and may
    # refuse the deletion; a membership made in the instant before it ends with its purge.
    departures = orgs.departures(adapters.orgs, platform=base, queue=queue, purge=org_purge)
    owned.append(departures)
    # An address newly proven anywhere joins the org that auto-joins its domain.
    account_hooks = replace(
        mail.account_hooks(base, queue=queue),
        proven=orgs.address_proven(adapters.orgs, platform=base),
    )
    signed_in = SignedIn(acc, sig, rules, base, grants=prov.oauth_grants)
    account_service = accounts.bind_accounts(
        acc,
        settings,
        platform=base,
        owned=owned,
        departures=[departures],
        hooks=account_hooks,
        check_password=signin.password_check(sig, rules, accounts=acc, platform=base),
        passwords=passwords,
        hold=rules.hold,
        addresses=rules.addresses,
        signups=rules.signups,
        schemas=schemas,
    )
    mail_flows = mail.flows(
        mel,
        accounts=acc,
        signin=sig,
        rules=rules,
        platform=base,
        grants=prov.oauth_grants,
        queue=queue,
        hooks=account_hooks,
        passwords=passwords,
    )
    return Services(
        accounts=AccountServices(
            accounts=account_service,
            admin=accounts.bind_admin(
                acc, platform=base, owned=owned, departures=[departures], schemas=schemas
            ),
            profile_schemas=schemas,
            challenge_gate=challenge_gate,
        ),
        hooks=HookServices(
            hooks=hooks.auth_hooks(
                adapters.hooks,
                hook_policy,
                cache=hook_cache,
                caller=hook_caller,
                box_key=sig.secret_box,
                platform=base,
            ),
        ),
        signin=SigninServices(
            authentication=signin.bind_authentication(
                sig,
                platform=base,
                tokens=sig.tokens,
                reauth_max_age=timedelta(seconds=settings.signin.reauth_max_age),
            ),
            email_codes=signin.bind_email_codes(
                sig,
                rules,
                settings,
                accounts=acc,
                platform=base,
                grants=prov.oauth_grants,
                queue=queue,
                proven=account_hooks.proven,
                # Sign-up by a mailed code makes its account through the accounts' own call.
                sign_up=account_service.register_proven,
                challenge_gate=challenge_gate,
            ),
            login=signin.bind_login(
                sig,
                rules,
                accounts=acc,
                platform=base,
                challenge_gate=challenge_gate,
                passwords=passwords,
            ),
            passkeys=signin.bind_passkeys(sig, rules, accounts=acc, platform=base),
            personal_tokens=signin.bind_personal_tokens(sig, accounts=acc, platform=base),
            sessions=signin.bind_sessions(sig, rules, accounts=acc, platform=base),
            totp=signin.bind_totp(sig, rules, accounts=acc, platform=base),
        ),
        federation=FederationServices(
            firebase=federation.bind_firebase(fed, signed_in=signed_in, hooks=account_hooks),
            identities=federation.bind_connected(acc, signin=sig, platform=base),
            upstream=federation.bind_upstream(
                fed, settings, signed_in=signed_in, hooks=account_hooks
            ),
        ),
        mail=MailServices(
            verification=mail_flows.email,
            invitations=mail_flows.invitations,
            not_me=mail_flows.not_me,
            password_reset=mail_flows.password_reset,
        ),
        events=EventServices(
            history=events.event_history(evt, users=acc.users),
            webhooks=events.webhooks(
                evt,
                webhook_policy,
                box_key=sig.secret_box,
                platform=base,
                outbox=outbox,
                queue=webhook_queue,
            ),
        ),
        orgs=OrgServices(
            access=orgs.bind_access(adapters.orgs),
            active=orgs.bind_active_org(
                accounts=acc, signin=sig, platform=base, token_hook=rules.token_hook
            ),
            orgs=orgs.bind_orgs(
                adapters.orgs,
                users=acc.users,
                events=evt.security_events,
                platform=base,
                queue=queue,
                purge=org_purge,
                sso_ready=sso.sso_ready(adapters.sso),
                connection_names=sso.connection_names(adapters.sso),
                managed=managed,
            ),
            members=orgs.bind_members(adapters.orgs, users=acc.users, platform=base),
            roles=orgs.bind_roles(adapters.orgs, platform=base, scopes=catalogue),
            member_attributes=orgs.bind_member_attributes(
                adapters.orgs, users=acc.users, schemas=schemas, platform=base
            ),
            joining=orgs.bind_joining(adapters.orgs, users=acc.users, platform=base),
            domains=orgs.bind_domains(adapters.orgs, platform=base),
            invitations=orgs.bind_invitations(
                adapters.orgs,
                settings,
                accounts=acc,
                platform=base,
                queue=queue,
                hooks=account_hooks,
                addresses=rules.addresses,
            ),
        ),
        clients=ClientServices(
            keys=bootstrap_clients.bind_client_keys(adapters.clients, settings),
            clients=bootstrap_clients.bind_clients(
                orgs=adapters.orgs.orgs, platform=base, clients=clients, catalogue=catalogue
            ),
            resources=bootstrap_clients.bind_api_resources(
                settings, orgs=adapters.orgs.orgs, platform=base, catalogue=catalogue
            ),
        ),
        sso=SsoServices(
            connections=sso.bind_connections(
                adapters.sso,
                settings,
                orgs=adapters.orgs.orgs,
                box=sig.secret_box,
                platform=base,
                any_sso=any_sso,
            ),
            setup=sso.bind_setup_links(
                adapters.sso,
                settings,
                orgs=adapters.orgs.orgs,
                box=sig.secret_box,
                platform=base,
                any_sso=any_sso,
            ),
            certificate_sweep=certificate_sweep,
            saml=sso.bind_saml(adapters.sso),
            saml_signin=sso.bind_saml_signin(
                adapters.sso,
                orgs=adapters.orgs,
                signed_in=signed_in,
                hooks=account_hooks,
                schemas=schemas,
            ),
            discovery=sso.bind_discovery(
                adapters.sso, settings, orgs=adapters.orgs, any_sso=any_sso
            ),
            oidc_signin=sso.bind_oidc_signin(
                adapters.sso,
                settings,
                orgs=adapters.orgs,
                signed_in=signed_in,
                hooks=account_hooks,
                schemas=schemas,
            ),
        ),
        scim=ScimServices(
            tokens=scim.bind_tokens(adapters.scim, orgs=adapters.orgs.orgs, platform=base),
            users=scim.bind_users(
                adapters.scim,
                users=acc.users,
                orgs=adapters.orgs,
                platform=base,
                addresses=rules.addresses,
                schemas=schemas,
                signups=rules.signups,
            ),
            groups=scim.bind_groups(adapters.scim, orgs=adapters.orgs, platform=base),
        ),
        provider=ProviderServices(
            accounts=provider.bind_accounts(accounts=acc, signin=sig, platform=base),
            apps=provider.bind_apps(prov, accounts=acc, platform=base, clients=clients),
            client_logouts=provider.bind_client_logouts(
                clients=clients, deliveries=evt.webhook_deliveries
            ),
            consent=provider.bind_consent(prov, platform=base),
            device=provider.bind_device(
                prov,
                settings,
                accounts=acc,
                signin=sig,
                rules=rules,
                platform=base,
                clients=clients,
            ),
            grants=provider.bind_grants(prov, settings, accounts=acc, platform=base),
            introspection=provider.bind_introspection(
                prov, accounts=acc, platform=base, clients=clients
            ),
            minting=provider.bind_minting(
                prov, settings, platform=base, schemas=schemas, token_hook=rules.token_hook
            ),
            pushed=provider.bind_pushed(prov, platform=base),
        ),
        resources=ResourceServices(
            datasets=resources.bind_datasets(res, settings, platform=base),
            dogs=resources.bind_dogs(res, platform=base, queue=queue),
            files=resources.bind_files(res, settings, platform=base),
            tasks=resources.bind_tasks(res, platform=base),
        ),
        migration=MigrationServices(
            users=migration.bind_migration(
                adapters.migration,
                accounts=acc,
                platform=base,
                providers=fed.upstream_providers,
                addresses=rules.addresses,
                schemas=schemas,
                signups=rules.signups,
            ),
        ),
        platform=PlatformServices(
            jobs=platform.pushed_jobs(base, settings, run=run),
            ready=base.ready,
            request_counter=base.request_counter,
            metrics=base.metrics,
        ),
    )
