"""``bind``: every capability's service objects, and every unit's, collected into ``Services``
(docs/decisions/0456-service-objects.md, docs/decisions/0750-services-reached-by-their-type.md),
as each process that serves builds its app: first what the capabilities lend one another
(``loans.py``), then each capability's record, built by its own module from its adapters,
those records and what it takes of the capabilities below it, in their order
(docs/contributing.md, "Wiring").

No global here is named as a submodule of bootstrap is (``mail``, ``signin``, ...) unless it
is that submodule: importing the submodule would replace it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from application.accounts.services import AccountServices
from application.services import PlatformServices, Services
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
    signin,
    sso,
)
from bootstrap.loans import Loans, lend
from bootstrap.unit import Kernel, built
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from bootstrap.adapters import Adapters


def _units_kernel(lent: Loans, adapters: Adapters, signups: AccountServices) -> Kernel:
    """The kernel the units are built on: the lent one, with the one code flow's steps that
    a unit's way in by a code takes (``signin.units_kernel``)."""
    return signin.units_kernel(
        lent.kernel,
        adapters.signin,
        lent.rules,
        lent.shared,
        accounts=adapters.accounts,
        hooks=lent.hooks.calls,
        signups=signups,
    )


def bind(settings: Settings, adapters: Adapters) -> Services:
    """Every capability's use cases, on its own adapters and what it takes of the others'."""
    lent = lend(settings, adapters)
    a, shared, signed_in = adapters, lent.shared, lent.signed_in
    base, acc, sig = shared.platform, adapters.accounts, adapters.signin
    account_services = accounts.wire(acc, settings, shared)
    kernel = _units_kernel(lent, adapters, account_services)
    return Services.collect(
        account_services,
        hooks.wire(a.hooks, lent.hooks, platform=base),
        signin.wire(
            sig,
            settings,
            lent.rules,
            shared,
            accounts=acc,
            hooks=lent.hooks.calls,
            grants=a.provider.oauth_grants,
            signups=account_services,
        ),
        federation.wire(a.federation, settings, signed_in, hooks=shared.hooks),
        mail.wire(lent.mail, signed_in, shared),
        events.wire(
            a.events, lent.webhooks, users=acc.users, box_key=sig.secret_box, platform=base
        ),
        orgs.wire(a.orgs, settings, signed_in, shared, lent.orgs, events=a.events.security_events),
        clients.wire(a.clients, settings, lent.clients, orgs=a.orgs.orgs, platform=base),
        sso.wire(
            a.sso,
            settings,
            signed_in,
            shared,
            orgs=a.orgs,
            any_sso=lent.sso.any_sso,
            certificate_sweep=lent.sso.certificate_sweep,
        ),
        scim.wire(a.scim, shared, users=acc.users, orgs=a.orgs),
        provider.wire(
            a.provider,
            settings,
            signed_in,
            shared,
            client_parts=lent.clients,
            deliveries=a.events.webhook_deliveries,
            sso=a.sso,
            units=[placed.unit for placed in adapters.units],
        ),
        migration.wire(
            a.migration, shared, accounts=acc, providers=a.federation.upstream_providers
        ),
        *built(adapters.units, kernel),
        platform=PlatformServices(
            jobs=platform.pushed_jobs(base, settings, run=lent.run),
            ready=base.ready,
            request_counter=base.request_counter,
            metrics=base.metrics,
        ),
    )
