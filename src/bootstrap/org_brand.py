"""The org brand unit: an org's own brand on the pages and mails about it, its own verified
sender, and its own sign-in host (docs/org-brand.md, docs/reference/org-brand.md,
docs/reference/org-sender.md, docs/reference/org-sign-in-domain.md).

The brand: ``PUT``/``GET``/``DELETE /orgs/{org}/brand`` and its logo served from firegate's
own origin, the pages of a flow about the org wearing it (``PAGE_BRANDS``), the mails about
the org going out under it (``MAIL_BRANDS``), a deleted org's brand purged with it
(``ORG_DATA``), and the Brand section of the org's page (``ORG_SECTIONS``). The sender:
``/orgs/{org}/sender`` with its DNS check, its daily re-check (``SWEEPS``) and the operator's
commands. The sign-in host: ``/orgs/{org}/sign-in-domain`` with its DNS check, the gate every
request passes (``REQUEST_GATES``: 421 for a host that is not the service's), the org's
single sign-on first on its host, its daily re-check with the owners' mail, the passkeys'
related origins (``PASSKEY_ORIGINS``) and the operator's commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.jobs import JOBS, SWEEPS
from application.mail.sending import MAIL_BRANDS, MailBrandOf, MailingJob
from application.org_brand.brands import BrandCache, BrandStore, OrgBrands
from application.org_brand.hosts import (
    LAPSED,
    MAIL_OWNER,
    HostCache,
    HostRecords,
    HostSettings,
    LapseMails,
    SignInHosts,
    SignInHostStore,
    own_hosts,
)
from application.org_brand.mails import BrandMails
from application.org_brand.senders import OrgSenders, SenderRecords, SenderRepository
from application.orgs.joining.domains import TxtRecords
from application.orgs.ports import ORG_DOMAINS, ORG_REPOSITORY
from application.signin.codes.ways import CODE_WAYS
from application.signin.factors.passkeys import PASSKEY_ORIGINS
from bootstrap.mail import HOOKED_MAIL, mail_settings
from bootstrap.orgs_parts import ORG_DATA
from bootstrap.unit import Built, Kernel, Lent, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from infrastructure.firestore.org_brand.brands import FirestoreBrands
from infrastructure.firestore.org_brand.hosts import FirestoreSignInHosts
from infrastructure.firestore.org_brand.senders import FirestoreSenders
from infrastructure.org_brand.logos import SafeSvg
from infrastructure.org_brand.settings import OrgBrandSettings
from infrastructure.orgs.dns import DnspythonTxtRecords
from infrastructure.settings.orgs_and_apps.orgs import OrgSettings
from infrastructure.settings.platform.branding import contrast_with_white
from interfaces.cli import Commands
from interfaces.http.routes.org_brand import sender_problems
from interfaces.shared.org_brand.gate import sign_in_host_gate
from interfaces.shared.org_brand.logo import logo_path
from interfaces.shared.problems import PROBLEM_PARTS
from interfaces.shared.shell import REQUEST_GATES
from interfaces.web.rendering import PAGE_BRANDS

if TYPE_CHECKING:
    import click
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings
    from interfaces.web.parts import Pages
    from interfaces.web.rendering import PageBrand

SENDER_SWEEP = "org-senders"  # the daily re-check of the orgs' senders (a ``sweep`` job's subject)
HOST_SWEEP = "sign-in-hosts"  # the daily re-check of the orgs' active sign-in hosts


@dataclass(frozen=True, kw_only=True)
class OrgBrandAdapters:
    """The unit's adapters: ``brands``, the orgs' brands and their names' claims;
    ``brand_cache``, the brands this worker read lately (the pages' and mails' reads, on the
    process's monotonic clock; a test's own); ``senders``, the orgs' senders, and
    ``sender_txt``, the DNS lookups that check a sender's records; ``hosts``, the orgs'
    sign-in hosts, ``host_records``, the DNS lookups that verify them (both lookups
    ``DNS_RESOLVER``'s, as an org's domain's), and ``host_cache``, what this process knows of
    the active hosts."""

    brands: BrandStore
    brand_cache: BrandCache
    senders: SenderRepository
    sender_txt: TxtRecords
    hosts: SignInHostStore
    host_records: HostRecords
    host_cache: HostCache


def adapters(settings: Settings, client: Client) -> OrgBrandAdapters:
    dns = DnspythonTxtRecords(settings.group(OrgSettings).dns_resolver)
    return OrgBrandAdapters(
        brands=FirestoreBrands(client),
        brand_cache=BrandCache(),
        senders=FirestoreSenders(client),
        sender_txt=dns,
        hosts=FirestoreSignInHosts(client),
        host_records=dns,
        host_cache=HostCache(),
    )


# -- the brand


def brand_mails(own: OrgBrandAdapters, kernel: Kernel, sender: OrgSenders) -> BrandMails:
    """The mails about an org under its brand: its logo at the public URL of firegate's copy,
    from its sender once verified."""
    cache = own.brand_cache
    public_url = kernel.settings.service.public_url.rstrip("/")
    return BrandMails(
        brands=lambda org_id: cache.get(f"id:{org_id}", lambda: own.brands.get(org_id)),
        logo_url=lambda brand: public_url + logo_path(brand),
        senders=sender.verified_sender,
    )


def brand_built(own: OrgBrandAdapters, kernel: Kernel) -> OrgBrands:
    """The brand's use cases: the look-alike checks against the orgs and SITE_NAME, the
    colours against the check BRAND_COLOR passes, an SVG parsed safely."""
    return OrgBrands(
        orgs=kernel.offered(ORG_REPOSITORY),
        brands=own.brands,
        svg=SafeSvg(),
        contrast_with_white=contrast_with_white,
        site_name=kernel.settings.branding.site_name,
        clock=kernel.platform.clock,
        audit=kernel.platform.audit,
        cache=own.brand_cache,
        domains=kernel.offered(ORG_DOMAINS),
    )


def page_brand(context: Mapping[str, object]) -> PageBrand | None:
    """The brand of the org a page's flow names (loaded with the pages)."""
    from interfaces.web.org_brand.pages import (  # noqa: PLC0415 - loaded with the app
        page_brand as brand_of,
    )

    return brand_of(context)


# -- the sender


def senders(own: OrgBrandAdapters, kernel: Kernel) -> OrgSenders:
    """An org's sender's use cases, on the orgs' repository and verified domains."""
    brand = kernel.settings.group(OrgBrandSettings)
    return OrgSenders(
        orgs=kernel.offered(ORG_REPOSITORY),
        domains=kernel.offered(ORG_DOMAINS),
        senders=own.senders,
        txt=own.sender_txt,
        clock=kernel.platform.clock,
        records=SenderRecords(brand.mail_spf_include, brand.mail_dkim_selector),
        audit=kernel.platform.audit,
    )


def _sender_commands() -> Sequence[click.Command]:
    from interfaces.cli.org_brand import sender  # noqa: PLC0415 - when the command line asks

    return sender.ORG_COMMANDS


# -- the sign-in host


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
        cache=own.host_cache,
        audit=kernel.platform.audit,
    )


def lapse_mails(kernel: Kernel, brands: Sequence[MailBrandOf]) -> LapseMails:
    """The jobs that mail the owners of an org whose host lapsed, under the org's brand."""
    mail = kernel.offered(HOOKED_MAIL)
    return LapseMails(
        orgs=kernel.offered(ORG_REPOSITORY),
        users=kernel.offered(CODE_WAYS).users,
        queue=kernel.queue,
        mails=MailingJob(
            renderer=mail.mail_renderer,
            mailer=mail.mailer,
            settings=mail_settings(kernel.settings),
            metrics=kernel.platform.metrics,
            brands=brands,
        ),
        public_url=kernel.settings.service.public_url,
    )


def _hosts_commands() -> Sequence[click.Command]:
    from interfaces.cli.org_brand import (  # noqa: PLC0415 - when the command line asks
        sign_in_domain,
    )

    return sign_in_domain.ORG_COMMANDS


# -- the unit


def lends(own: OrgBrandAdapters, kernel: Kernel) -> Lent:
    """The mails' brand of an org (``MAIL_BRANDS``: its brand's, from its verified sender;
    after it, an org with a sender and no brand, under its name), the senders' and the
    hosts' daily re-checks (``SWEEPS``) and the jobs that mail the owners of a host that
    lapsed (``JOBS``), a purged org's brand, sender and host (``ORG_DATA``), the active
    hosts' origins as the passkeys' related origins (``PASSKEY_ORIGINS``)."""
    sender = senders(own, kernel)
    brands = (brand_mails(own, kernel, sender), sender.brand_of)
    mails = lapse_mails(kernel, brands)
    hosts = sign_in_hosts(own, kernel)
    return Lent(
        fills=(
            MAIL_BRANDS(*brands),
            SWEEPS((SENDER_SWEEP, sender.sweep), (HOST_SWEEP, hosts.sweep)),
            JOBS((LAPSED, mails.find_owners), (MAIL_OWNER, mails.mail_owner)),
            ORG_DATA(own.brands, own.senders, hosts),
            PASSKEY_ORIGINS(hosts.active_origins),
        ),
    )


def build(own: OrgBrandAdapters, kernel: Kernel) -> Built:
    return Built(
        services=(brand_built(own, kernel), senders(own, kernel), sign_in_hosts(own, kernel))
    )


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.org_brand import (  # noqa: PLC0415 - loaded with the app
        brand,
        sender,
        sign_in_domain,
    )

    return (brand.bp, sender.bp, sign_in_domain.bp)


def limits(settings: Settings) -> Mapping[tuple[str, str], str]:
    """A sender's and a sign-in host's checks: a few DNS lookups each (docs/security.md)."""
    checks = settings.group(OrgBrandSettings).rate_limit_org_dns_checks
    return {
        ("POST", "/orgs/<org>/sender/verify"): checks,
        ("POST", "/orgs/<org>/sign-in-domain/verify"): checks,
    }


def pages() -> Pages:
    """The Brand section of an org's page, after its agents; on an org's host, the sign-in
    page starts the org's single sign-on first."""
    from interfaces.web.org_brand import (  # noqa: PLC0415 - loaded with the app
        messages,
        section,
        sign_in_host,
    )
    from interfaces.web.orgs.org import ORG_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app

    return Pages(
        fills=(ORG_SECTIONS(At(95, section.BRAND)),),
        messages=messages.MESSAGES,
        before_request=(sign_in_host.sso_first,),
    )


# Its routes that make or change what outlasts a session (an org's brand, sender and sign-in
# host), by kind: a session of support access is refused them (``OUTLASTING_ROUTES``, sign-
# in's).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.ORG_SETTINGS,
        (
            ("PUT", "/orgs/<org>/brand"),
            ("DELETE", "/orgs/<org>/brand"),
            ("PUT", "/orgs/<org>/sender"),
            ("DELETE", "/orgs/<org>/sender"),
            ("POST", "/orgs/<org>/sender/verify"),
            ("PUT", "/orgs/<org>/sign-in-domain"),
            ("DELETE", "/orgs/<org>/sign-in-domain"),
            ("POST", "/orgs/<org>/sign-in-domain/verify"),
            ("POST", "/account/orgs/<org>/brand"),
            ("POST", "/account/orgs/<org>/brand/delete"),
        ),
    ),
)


UNIT = Unit[OrgBrandAdapters](
    name="org_brand",
    adapters=adapters,
    lends=lends,
    build=build,
    api=api,
    limits=limits,
    pages=pages,
    settings=(OrgBrandSettings,),
    cli=(Commands("orgs", _sender_commands), Commands("orgs", _hosts_commands)),
    fills=(
        PAGE_BRANDS(page_brand),
        PROBLEM_PARTS(*sender_problems.PROBLEM_PARTS),
        REQUEST_GATES(sign_in_host_gate),
        _OUTLASTING,
    ),
)
