"""The org brand unit: an org's own brand on the pages and mails about it, its own verified
sender, and its own sign-in host (docs/org-brand.md, docs/reference/org-brand.md,
docs/reference/org-sign-in-domain.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.jobs import JOBS, SWEEPS
from application.mail.sending import MailingJob
from application.org_brand.hosts import (
    LAPSED,
    MAIL_OWNER,
    HostRecords,
    HostSettings,
    LapseMails,
    SignInHosts,
    SignInHostStore,
    own_hosts,
)
from application.orgs.ports import ORG_DOMAINS, ORG_REPOSITORY
from application.signin.codes.ways import CODE_WAYS
from bootstrap.mail import HOOKED_MAIL, mail_settings
from bootstrap.orgs_parts import ORG_DATA
from bootstrap.unit import Built, Kernel, Lent, Unit
from infrastructure.firestore.org_brand.hosts import FirestoreSignInHosts
from infrastructure.org_brand.settings import OrgBrandSettings
from infrastructure.orgs.dns import DnspythonTxtRecords
from infrastructure.settings.orgs_and_apps.orgs import OrgSettings
from interfaces.cli import Commands
from interfaces.shared.org_brand.gate import sign_in_host_gate
from interfaces.shared.shell import REQUEST_GATES

if TYPE_CHECKING:
    import click
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings
    from interfaces.web.parts import Pages


@dataclass(frozen=True, kw_only=True)
class OrgBrandAdapters:
    """The org brand unit's adapters: the orgs' sign-in hosts (``hosts``) and the DNS
    lookups that verify them (``host_records``, DNS_RESOLVER's)."""

    hosts: SignInHostStore
    host_records: HostRecords


def adapters(settings: Settings, client: Client) -> OrgBrandAdapters:
    """The sign-in hosts' store, and DNS through DNS_RESOLVER."""
    return OrgBrandAdapters(
        hosts=FirestoreSignInHosts(client),
        host_records=DnspythonTxtRecords(settings.group(OrgSettings).dns_resolver),
    )


def host_settings(settings: Settings) -> HostSettings:
    """ORG_HOST_TARGET; the service's own hosts: PUBLIC_URL's and, with Pub/Sub, its
    pushes' (JOB_PUSH_ENDPOINT, JOB_PUSH_AUDIENCE); the loopback names in the local profile."""
    urls = [settings.service.public_url]
    if settings.jobs.job_queue == "pubsub":
        urls += [settings.jobs.job_push_endpoint, settings.jobs.job_push_audience]
    return HostSettings(
        target=settings.group(OrgBrandSettings).org_host_target,
        own_hosts=own_hosts(urls),
        loopback=settings.service.app_profile == "local",
    )


def sign_in_hosts(own: OrgBrandAdapters, kernel: Kernel) -> SignInHosts:
    """The sign-in hosts' use cases, on the orgs' repository and verified domains."""
    return SignInHosts(
        orgs=kernel.offered(ORG_REPOSITORY),
        domains=kernel.offered(ORG_DOMAINS),
        store=own.hosts,
        dns=own.host_records,
        clock=kernel.platform.clock,
        settings=host_settings(kernel.settings),
        queue=kernel.queue,
    )


def hosts_lent(own: OrgBrandAdapters, kernel: Kernel) -> Lent:
    """The hosts' daily re-check (``SWEEPS``: ``sign-in-hosts``), the jobs that mail the
    owners of a host that lapsed, and a deleted org's host removed by its purge
    (``ORG_DATA``)."""
    mail = kernel.offered(HOOKED_MAIL)
    mails = LapseMails(
        orgs=kernel.offered(ORG_REPOSITORY),
        users=kernel.offered(CODE_WAYS).users,
        queue=kernel.queue,
        mails=MailingJob(
            renderer=mail.mail_renderer,
            mailer=mail.mailer,
            settings=mail_settings(kernel.settings),
            metrics=kernel.platform.metrics,
            brands=mail.brands,
        ),
        public_url=kernel.settings.service.public_url,
    )
    hosts = sign_in_hosts(own, kernel)
    return Lent(
        fills=(
            JOBS((LAPSED, mails.find_owners), (MAIL_OWNER, mails.mail_owner)),
            SWEEPS(("sign-in-hosts", hosts.sweep)),
            ORG_DATA(hosts),
        )
    )


def lends(own: OrgBrandAdapters, kernel: Kernel) -> Lent:
    return hosts_lent(own, kernel)


def build(own: OrgBrandAdapters, kernel: Kernel) -> Built:
    return Built(services=(sign_in_hosts(own, kernel),))


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.org_brand import (  # noqa: PLC0415 - loaded with the app
        sign_in_domain,
    )

    return (sign_in_domain.bp,)


def limits(settings: Settings) -> Mapping[tuple[str, str], str]:
    """A sign-in host's verification: DNS lookups, RATE_LIMIT_ORG_DNS_CHECKS per address."""
    checks = settings.group(OrgBrandSettings).rate_limit_org_dns_checks
    return {("POST", "/orgs/<org>/sign-in-domain/verify"): checks}


def pages() -> Pages:
    """On an org's host, the sign-in page starts the org's single sign-on first."""
    from interfaces.web.org_brand import sign_in_host  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import Pages  # noqa: PLC0415 - loaded with the app

    return Pages(before_request=(sign_in_host.sso_first,))


def _hosts_commands() -> Sequence[click.Command]:
    from interfaces.cli.org_brand import (  # noqa: PLC0415 - when the command line asks
        sign_in_domain,
    )

    return sign_in_domain.ORG_COMMANDS


UNIT = Unit[OrgBrandAdapters](
    name="org_brand",
    adapters=adapters,
    lends=lends,
    build=build,
    api=api,
    limits=limits,
    pages=pages,
    settings=(OrgBrandSettings,),
    cli=(Commands("orgs", _hosts_commands),),
    fills=(REQUEST_GATES(sign_in_host_gate),),
)
