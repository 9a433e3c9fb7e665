"""What a page says about the brand's refusals (``Pages.messages``, by code, beside their
fields on the org page's Brand section)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from domain.org_brand.brand import MIN_CONTRAST, NAME_MAX

MESSAGES: dict[str, LazyString] = {
    "invalid_brand_name": lazy_gettext(
        "A display name has 1 to %(count)s characters, with no control characters.",
        count=NAME_MAX,
    ),
    "invalid_brand_logo": lazy_gettext(
        "Choose a PNG or SVG image of at most 48 KB. An SVG may hold no scripts and refer "
        "to nothing outside it."
    ),
    "invalid_brand_color": lazy_gettext("A colour is written #rrggbb, for example #7b1fa2."),
    "brand_contrast": lazy_gettext(
        "Text on this colour would be hard to read: it needs a contrast of %(ratio)s:1.",
        ratio=MIN_CONTRAST,
    ),
    "brand_look_alike": lazy_gettext(
        "This name reads like another organization's or the service's name: choose another."
    ),
}
