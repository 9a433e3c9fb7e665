"""A unit of the tests' own that brands pages (``PAGE_BRANDS``, rendering.py): the brand
``?brand=`` names, or the one a page's context names in ``brand_of``; before it, a filler that
records the contexts it is asked with and gives none; after it, one whose brand is never worn
(the first given is)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import request

from bootstrap.unit import Placed, Unit
from interfaces.web.rendering import PAGE_BRANDS, PageBrand
from tests.support.app import World

LOGO = "data:image/png;base64,iVBORw0KGgo="
OPERATOR_LOGO = "/static/pages/logo.svg"
ACME = PageBrand("Acme Corp", logo_url=LOGO, color="#7B1FA2", dark_color="#CE93D8")
GLOBEX = PageBrand("Globex", color="#005a9c", dark_color="#9ecbff")
BRANDS = {
    "acme": ACME,
    "globex": GLOBEX,
    "nameonly": PageBrand("Name Only"),
    "hostile": PageBrand(
        "<b>Evil</b>",
        color="red; } body { display: none",
        dark_color="#fff</style><script>alert(1)</script>",
    ),
}
ASKED: list[Mapping[str, object]] = []  # the contexts the unit was asked with


def declines(context: Mapping[str, object]) -> PageBrand | None:
    ASKED.append(dict(context))
    return None


def brand_of(context: Mapping[str, object]) -> PageBrand | None:
    """The tests' brand: the one ``?brand=`` names, else the one the page's context does."""
    return BRANDS.get(request.args.get("brand") or str(context.get("brand_of") or ""))


def shadowed(context: Mapping[str, object]) -> PageBrand | None:
    """A later filler's brand, on the pages the one before it brands: never worn."""
    return PageBrand("Shadow", color="#000000") if brand_of(context) is not None else None


BRANDING = Unit[None](name="branding", fills=(PAGE_BRANDS(declines, brand_of, shadowed),))


class BrandWorld(World):
    """The app on the fakes with a unit of the tests' own that brands pages."""

    def own_units(self) -> Sequence[Placed[Any]]:
        return (Placed(BRANDING, None),)
