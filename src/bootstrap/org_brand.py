"""The org brand unit: an org's own brand on the pages and mails about it, its own verified
sender, and its own sign-in host (docs/org-brand.md, docs/reference/org-brand.md)."""

from __future__ import annotations

from bootstrap.unit import Unit
from infrastructure.org_brand.settings import OrgBrandSettings

UNIT = Unit[None](
    name="org_brand",
    settings=(OrgBrandSettings,),
)
