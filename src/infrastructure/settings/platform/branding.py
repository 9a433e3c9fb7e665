"""How the service presents itself on its pages and in its mails (docs/configuration.md#branding):
its name, a logo on the pages (a path of this site or a data:image/ URL: the pages' CSP allows
img-src 'self' data:), the buttons' and links' colour in the light scheme, and an address for
help in the pages' footer and the mails."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from infrastructure.settings.group import SettingsGroup

MIN_CONTRAST = 4.5  # WCAG 2 AA for text: the pages' white button text, their links on white


class BrandingSettings(SettingsGroup):
    site_name: str = Field("firegate", min_length=1, max_length=64)  # on pages and in mails
    site_logo_url: str = Field("", max_length=65_536)
    brand_color: str = ""
    support_email: str = Field("", max_length=254)

    @field_validator("site_logo_url")
    @classmethod
    def _logo_served_here(cls, value: str) -> str:
        if value and not (value.startswith("data:image/") or re.fullmatch(r"/(?![/\\])\S*", value)):
            raise ValueError(
                "SITE_LOGO_URL must be a path of this site (/...) or a data:image/ URL: "
                "the pages' CSP allows images from nowhere else"
            )
        return value

    @field_validator("brand_color")
    @classmethod
    def _readable_color(cls, value: str) -> str:
        if not value:
            return value
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("BRAND_COLOR must be #rrggbb")
        if contrast_with_white(value) < MIN_CONTRAST:
            raise ValueError(
                f"BRAND_COLOR {value} is too light: white text on it, and it on white, need a "
                f"contrast of {MIN_CONTRAST}:1 (WCAG AA); it has "
                f"{contrast_with_white(value):.2f}:1"
            )
        return value.lower()

    @field_validator("support_email")
    @classmethod
    def _support_address(cls, value: str) -> str:
        if value and not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", value):
            raise ValueError("SUPPORT_EMAIL must be an e-mail address")
        return value


def contrast_with_white(color: str) -> float:
    """The WCAG 2 contrast ratio of ``#rrggbb`` against white."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)
