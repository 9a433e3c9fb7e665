"""Where firegate serves an org's logo (``GET /orgs/{org_id}/brand/logo``): the pages show
this path, the mails the public URL before it, the API gives it as the brand's ``logo_url``
(docs/decisions/0885-a-brands-logo-is-served-by-firegate.md)."""

from __future__ import annotations

from domain.org_brand.brand import Brand


def logo_path(brand: Brand) -> str:
    """The logo's path on firegate's own origin, naming its bytes: a new logo, a new URL, so
    a page or mail never shows the one before it from a cache."""
    return f"/orgs/{brand.org_id}/brand/logo?v={brand.logo.etag[:16]}"
