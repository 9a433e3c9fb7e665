"""The Brand section of an organization's page (docs/org-brand.md; docs/pages.md,
"Organizations"): the org's brand as its members see it, and for its owners the form that
sets it, as ``PUT /orgs/{org}/brand``'s use case (``services().of(OrgBrands)``): a logo file
(PNG or SVG; none chosen keeps the one it has), the display name and the colours. A refused
field shows the section again with the message beside it. The unit's pages hand ``BRAND``
to the org's page (bootstrap/org_brand.py, ``ORG_SECTIONS``)."""

from __future__ import annotations

import base64

from flask import Response, request
from flask_babel import lazy_gettext

from application.org_brand.brands import BrandQuery, DeleteBrand, OrgBrands, SetBrand
from application.signin.authentication import Actor
from domain.errors import InvalidInput, NotFound
from domain.org_brand.brand import LOGO_URI_MAX, PNG, SVG, Brand
from interfaces.shared.org_brand.logo import logo_path
from interfaces.shared.services import services
from interfaces.web.accounts.account import signed_in
from interfaces.web.forms import field
from interfaces.web.orgs.org import OrgSection, done, org_form
from interfaces.web.rendering import bp

_TYPES = {"image/png": PNG, "image/svg+xml": SVG}


def _brand(actor: Actor, org: str) -> Brand | None:
    try:
        return services().of(OrgBrands).brand(BrandQuery(actor, org))
    except NotFound as missing:
        if missing.code == "brand_not_found":
            return None
        raise


def _shown(actor: Actor, org: str) -> dict[str, object]:
    brand = _brand(actor, org)
    return {"brand": brand, "brand_logo": logo_path(brand) if brand is not None else ""}


BRAND = OrgSection("brand", "org_brand/org_brand.html", _shown, lazy_gettext("Brand"))


def _logo_uri(actor: Actor, org: str) -> str:
    """The chosen file as a data: URI (its type as sent: PNG or SVG), else the brand's own
    logo; neither: 422 beside the field."""
    upload = request.files.get("logo")
    if upload is not None and upload.filename:
        data = upload.read(LOGO_URI_MAX + 1)
        kind = _TYPES.get((upload.mimetype or "").lower())
        if kind is None and data.lstrip().startswith(b"<"):
            kind = SVG
        return f"data:{kind or PNG};base64,{base64.b64encode(data).decode('ascii')}"
    brand = _brand(actor, org)
    if brand is None:
        raise InvalidInput.field("logo_url", "Choose a logo (PNG or SVG).", "missing")
    return f"data:{brand.logo.media_type};base64,{base64.b64encode(brand.logo.data).decode()}"


@bp.post("/account/orgs/<org>/brand")
@signed_in
@org_form("brand", BRAND)
def save_brand(actor: Actor, org: str) -> Response:
    """The name, the colours and the logo chosen (owners)."""
    command = SetBrand(
        actor,
        org,
        display_name=field("display_name", required=False),
        logo_url=_logo_uri(actor, org),
        color=field("color", required=False).strip(),
        dark_color=field("dark_color", required=False).strip() or None,
    )
    services().of(OrgBrands).set_brand(command)
    return done("brand", BRAND, org)


@bp.post("/account/orgs/<org>/brand/delete")
@signed_in
@org_form("brand-delete", BRAND)
def delete_brand(actor: Actor, org: str) -> Response:
    """The operator's brand again (owners)."""
    services().of(OrgBrands).delete_brand(DeleteBrand(actor, org))
    return done("brand-deleted", BRAND, org)
