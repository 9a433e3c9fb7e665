"""The brand a mail about an org goes out under (mail's ``MAIL_BRANDS``): the org's brand's
name, logo and colour; its sender the org's verified one, once the sender part says so
(``senders``; until then none: the service's address, as "{brand} via {SITE_NAME}";
docs/org-brand.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.ports import MailBrand
from domain.org_brand.brand import Brand

type SenderOf = Callable[[str], str | None]  # an org id's verified sender's address, or None


def no_sender(_org_id: str) -> str | None:
    """No org has a sender of its own (the seam the verified senders fill)."""
    return None


@dataclass(frozen=True, kw_only=True)
class BrandMails:
    """``brands``: an org's brand as the pages wear it (``OrgBrands.shown``); ``logo_url``:
    where a mail's reader fetches its logo (the public URL of firegate's own copy);
    ``senders``: the org's verified sender, where it has one."""

    brands: Callable[[str], Brand | None]
    logo_url: Callable[[Brand], str]
    senders: SenderOf = no_sender

    def __call__(self, org_id: str) -> MailBrand | None:
        brand = self.brands(org_id)
        if brand is None:
            return None
        return MailBrand(
            name=brand.display_name,
            logo_url=self.logo_url(brand),
            sender=self.senders(org_id),
            color=brand.color,
        )
