"""An org's brand: request and response bodies (docs/reference/org-brand.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from domain.org_brand.brand import LOGO_URI_MAX, NAME_MAX, Brand
from interfaces.http.schemas.common import Schema, Strict
from interfaces.shared.org_brand.logo import logo_path


class BrandPut(Strict):
    display_name: str = Field(
        max_length=NAME_MAX * 4,  # checked again once trimmed (NAME_MAX characters)
        examples=["Acme"],
        description="Shown in the operator's name's place; may not read like another "
        "organization's name or slug, or the service's",
    )
    logo_url: str = Field(
        max_length=LOGO_URI_MAX,
        examples=["data:image/png;base64,iVBORw0KGgo..."],
        description="A data:image/png (base64) or data:image/svg+xml URI, at most 65,536 "
        "characters; served from firegate's own origin",
    )
    color: str = Field(
        examples=["#7b1fa2"],
        description="#rrggbb: the light scheme's accent, 4.5:1 at least under white text",
    )
    dark_color: str | None = Field(
        None,
        examples=["#ce93d8"],
        description="#rrggbb: the dark scheme's accent, 4.5:1 at least under black text",
    )


class BrandOut(Schema):
    org_id: str
    display_name: str
    logo_url: str = Field(description="Where firegate serves the logo (a path of its own)")
    color: str
    dark_color: str | None
    updated_at: datetime

    @classmethod
    def of(cls, brand: Brand) -> BrandOut:
        return cls(
            org_id=brand.org_id,
            display_name=brand.display_name,
            logo_url=logo_path(brand),
            color=brand.color,
            dark_color=brand.dark_color or None,
            updated_at=brand.updated_at,
        )
