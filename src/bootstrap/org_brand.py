"""The org brand unit: an org's own brand on the pages and mails about it, its own verified
sender, and its own sign-in host (docs/org-brand.md, docs/reference/org-brand.md,
docs/reference/org-sender.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.jobs import SWEEPS
from application.mail.sending import MAIL_BRANDS
from application.org_brand.senders import OrgSenders, SenderRecords, SenderRepository
from application.orgs.joining.domains import TxtRecords
from application.orgs.ports import ORG_DOMAINS, ORG_REPOSITORY
from bootstrap.orgs_parts import ORG_DATA
from bootstrap.unit import Built, Kernel, Lent, Unit
from infrastructure.firestore.org_brand.senders import FirestoreSenders
from infrastructure.org_brand.settings import OrgBrandSettings
from infrastructure.orgs.dns import DnspythonTxtRecords
from infrastructure.settings.orgs_and_apps.orgs import OrgSettings
from interfaces.cli import Commands
from interfaces.http.routes.org_brand import sender_problems
from interfaces.shared.problems import PROBLEM_PARTS

if TYPE_CHECKING:
    import click
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings

SENDER_SWEEP = "org-senders"  # the daily re-check of the orgs' senders (a ``sweep`` job's subject)


@dataclass(frozen=True, kw_only=True)
class OrgBrandAdapters:
    """The org brand unit's adapters: the orgs' senders, and the DNS lookups that check a
    sender's records (``DNS_RESOLVER``'s, as an org's domain's)."""

    senders: SenderRepository
    sender_txt: TxtRecords


def adapters(settings: Settings, client: Client) -> OrgBrandAdapters:
    return OrgBrandAdapters(
        senders=FirestoreSenders(client),
        sender_txt=DnspythonTxtRecords(settings.group(OrgSettings).dns_resolver),
    )


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
    )


def lends(own: OrgBrandAdapters, kernel: Kernel) -> Lent:
    """The senders' parts: the mails' brand of an org with a sender of its own
    (``MAIL_BRANDS``), their daily re-check (``SWEEPS``), and a purged org's sender
    (``ORG_DATA``)."""
    made = senders(own, kernel)
    return Lent(
        fills=(
            MAIL_BRANDS(made.brand_of),
            SWEEPS((SENDER_SWEEP, made.sweep)),
            ORG_DATA(own.senders),
        )
    )


def build(own: OrgBrandAdapters, kernel: Kernel) -> Built:
    return Built(services=(senders(own, kernel),))


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.org_brand import sender  # noqa: PLC0415 - loaded with the app

    return (sender.bp,)


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """A sender's check: a few DNS lookups each (docs/security.md)."""
    checks = settings.group(OrgBrandSettings).rate_limit_org_dns_checks
    return {("POST", "/orgs/<org>/sender/verify"): checks}


def _sender_commands() -> Sequence[click.Command]:
    from interfaces.cli.org_brand import sender  # noqa: PLC0415 - when the command line asks

    return sender.ORG_COMMANDS


UNIT = Unit[OrgBrandAdapters](
    name="org_brand",
    adapters=adapters,
    lends=lends,
    build=build,
    api=api,
    limits=limits,
    settings=(OrgBrandSettings,),
    cli=(Commands("orgs", _sender_commands),),
    fills=(PROBLEM_PARTS(*sender_problems.PROBLEM_PARTS),),
)
