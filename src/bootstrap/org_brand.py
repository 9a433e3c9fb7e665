"""The org brand unit: an org's own brand on the pages and mails about it, its own verified
sender, and its own sign-in host (docs/org-brand.md, docs/reference/org-brand.md).

The brand: ``PUT``/``GET``/``DELETE /orgs/{org}/brand`` and its logo served from firegate's
own origin, the pages of a flow about the org wearing it (``PAGE_BRANDS``), the mails about
the org going out under it (``MAIL_BRANDS``), a deleted org's brand purged with it
(``ORG_DATA``), and the Brand section of the org's page (``ORG_SECTIONS``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.mail.sending import MAIL_BRANDS
from application.org_brand.brands import BrandCache, BrandStore, OrgBrands
from application.org_brand.mails import BrandMails
from application.orgs.ports import ORG_DOMAINS, ORG_REPOSITORY
from bootstrap.orgs_parts import ORG_DATA
from bootstrap.unit import Built, Kernel, Lent, Unit
from infrastructure.firestore.org_brand.brands import FirestoreBrands
from infrastructure.org_brand.logos import SafeSvg
from infrastructure.org_brand.settings import OrgBrandSettings
from infrastructure.settings.platform.branding import contrast_with_white
from interfaces.shared.org_brand.logo import logo_path
from interfaces.web.rendering import PAGE_BRANDS

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings
    from interfaces.web.parts import Pages
    from interfaces.web.rendering import PageBrand


@dataclass(frozen=True, kw_only=True)
class OrgBrandAdapters:
    """The unit's adapters: ``brands``, the orgs' brands and their names' claims;
    ``brand_cache``, the brands this worker read lately (the pages' and mails' reads, on the
    process's monotonic clock; a test's own)."""

    brands: BrandStore
    brand_cache: BrandCache


def adapters(_settings: Settings, client: Client) -> OrgBrandAdapters:
    return OrgBrandAdapters(brands=FirestoreBrands(client), brand_cache=BrandCache())


# -- the brand


def brand_lends(own: OrgBrandAdapters, kernel: Kernel) -> Lent:
    """The mails about an org under its brand (``MAIL_BRANDS``: its logo at the public URL
    of firegate's copy; no sender of its own yet), a deleted org's brand purged with it
    (``ORG_DATA``)."""
    cache = own.brand_cache
    public_url = kernel.settings.service.public_url.rstrip("/")
    mails = BrandMails(
        brands=lambda org_id: cache.get(f"id:{org_id}", lambda: own.brands.get(org_id)),
        logo_url=lambda brand: public_url + logo_path(brand),
    )
    return Lent(fills=(MAIL_BRANDS(mails), ORG_DATA(own.brands)))


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


# -- the unit


def lends(own: OrgBrandAdapters, kernel: Kernel) -> Lent:
    return brand_lends(own, kernel)


def build(own: OrgBrandAdapters, kernel: Kernel) -> Built:
    return Built(services=(brand_built(own, kernel),))


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.org_brand import brand  # noqa: PLC0415 - loaded with the app

    return (brand.bp,)


def pages() -> Pages:
    """The Brand section of an org's page, after its agents."""
    from interfaces.web.org_brand import messages, section  # noqa: PLC0415 - with the app
    from interfaces.web.orgs.org import ORG_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app

    return Pages(fills=(ORG_SECTIONS(At(95, section.BRAND)),), messages=messages.MESSAGES)


UNIT = Unit[OrgBrandAdapters](
    name="org_brand",
    adapters=adapters,
    lends=lends,
    build=build,
    api=api,
    fills=(PAGE_BRANDS(page_brand),),
    pages=pages,
    settings=(OrgBrandSettings,),
)
