"""An org's brand: the name, logo and accents its people see in the operator's place on the
pages and in the mails about it (docs/org-brand.md, docs/reference/org-brand.md).

The rules here are the ones that need nothing but the value: a display name's shape, a logo's
``data:`` URI (its size, its type, a PNG's signature), a colour's shape and its contrast, given
the WCAG 2 contrast against white that the operator's BRAND_COLOR is checked by. Whether an SVG
is safe to serve is the adapter's (a parser's), whether a name looks like another org's the
use case's (application/org_brand/brands.py)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote_to_bytes

from domain.accounts.credentials import look_alike_key
from domain.errors import Conflict, FieldError, InvalidInput, NotFound

NAME_MAX = 64  # characters of a display name, as SITE_NAME's
LOGO_URI_MAX = 65_536  # characters of a logo's data: URI (64 KB)
MIN_CONTRAST = 4.5  # WCAG 2 AA for text: white on the light accent, black on the dark one
BLACK_ON_WHITE = 21.0  # the contrast of black against white: black on c is this / white on c
PNG = "image/png"
SVG = "image/svg+xml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_DATA_URI = re.compile(r"data:(image/png|image/svg\+xml)((?:;[^,;]*)*),(.*)", re.DOTALL)

type ContrastWithWhite = Callable[[str], float]  # the WCAG 2 ratio of #rrggbb against white


@dataclass(frozen=True)
class Logo:
    """A logo as served from firegate's own origin: its media type and bytes."""

    media_type: str
    data: bytes

    @property
    def etag(self) -> str:
        """What names these bytes for a cache (a strong ETag's value, unquoted)."""
        return hashlib.sha256(self.media_type.encode() + b"\n" + self.data).hexdigest()[:32]

    @property
    def is_svg(self) -> bool:
        return self.media_type == SVG


@dataclass(frozen=True, kw_only=True)
class Brand:
    """An org's brand: ``color`` the light scheme's accent (white text on it), ``dark_color``
    the dark scheme's (black text on it; "" keeps the pages' own)."""

    org_id: str
    display_name: str
    logo: Logo
    color: str
    dark_color: str = ""
    updated_at: datetime

    @property
    def look_alike(self) -> str:
        """What names that read like this brand's share (``look_alike_key``)."""
        return look_alike_key(self.display_name)


def brand_not_found() -> NotFound:
    return NotFound("The organization has no brand.", code="brand_not_found")


def brand_look_alike() -> Conflict:
    return Conflict(
        "The display name reads like another organization's or the service's name.",
        code="brand_look_alike",
        field="display_name",
    )


def checked_name(value: object) -> str:
    """A display name: text of 1 to 64 characters once trimmed, no control or format
    characters (no line breaks, no bidirectional overrides)."""
    if not isinstance(value, str):
        raise _field("display_name", "The display name must be text.", "invalid_brand_name")
    name = unicodedata.normalize("NFC", value.strip())
    if not name or len(name) > NAME_MAX:
        raise _field(
            "display_name",
            f"The display name must have 1 to {NAME_MAX} characters.",
            "invalid_brand_name",
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise _field(
            "display_name",
            "The display name may not hold control or formatting characters.",
            "invalid_brand_name",
        )
    return name


def logo_of(value: object) -> Logo:
    """The logo a ``data:image/png`` or ``data:image/svg+xml`` URI holds (base64, or
    percent-encoded for SVG), at most 64 KB as written; a PNG must start with its signature.
    Whether an SVG is safe is checked after this (``SvgCheck``)."""
    if not isinstance(value, str) or len(value) > LOGO_URI_MAX:
        raise _logo(f"The logo must be a data: URI of at most {LOGO_URI_MAX} characters.")
    found = _DATA_URI.fullmatch(value.strip())
    if found is None:
        raise _logo("The logo must be a data:image/png or data:image/svg+xml URI.")
    media_type, params, payload = found.groups()
    try:
        if params.lower().endswith(";base64"):
            data = base64.b64decode(payload, validate=True)
        elif media_type == SVG:
            data = unquote_to_bytes(payload)
        else:
            raise _logo("A PNG logo must be base64.")
    except (binascii.Error, ValueError):
        raise _logo("The logo's data is not valid base64.") from None
    if not data:
        raise _logo("The logo is empty.")
    if media_type == PNG and not data.startswith(PNG_SIGNATURE):
        raise _logo("The logo is not a PNG image.")
    return Logo(media_type, data)


def checked_colors(
    color: object, dark_color: object, contrast_with_white: ContrastWithWhite
) -> tuple[str, str]:
    """``color`` (``#rrggbb``, lower-cased) with white text on it, and on white, at 4.5:1 at
    least, as the operator's BRAND_COLOR; ``dark_color`` ("" or absent: none) with the dark
    scheme's black button text on it at 4.5:1 at least (and so light enough on the dark
    scheme's background). A bad shape: 422 ``invalid_brand_color``; too little contrast: 422
    ``brand_contrast``."""
    errors: list[FieldError] = []
    light = _shaped("color", color, errors)
    dark = _shaped("dark_color", dark_color, errors, optional=True)
    if light and contrast_with_white(light) < MIN_CONTRAST:
        errors.append(
            FieldError(
                "color",
                f"White text on {light} has a contrast of "
                f"{contrast_with_white(light):.2f}:1; it needs {MIN_CONTRAST}:1.",
                "brand_contrast",
            )
        )
    if dark and BLACK_ON_WHITE / contrast_with_white(dark) < MIN_CONTRAST:
        errors.append(
            FieldError(
                "dark_color",
                f"Black text on {dark} has a contrast of "
                f"{BLACK_ON_WHITE / contrast_with_white(dark):.2f}:1; it needs {MIN_CONTRAST}:1.",
                "brand_contrast",
            )
        )
    if errors:
        raise InvalidInput.of(errors)
    return light, dark


def _shaped(name: str, value: object, errors: list[FieldError], optional: bool = False) -> str:
    if optional and (value is None or value == ""):
        return ""
    if isinstance(value, str) and _COLOR.fullmatch(value):
        return value.lower()
    errors.append(FieldError(name, "A colour must be #rrggbb.", "invalid_brand_color"))
    return ""


def _field(name: str, message: str, code: str) -> InvalidInput:
    return InvalidInput.field(name, message, code)


def _logo(message: str) -> InvalidInput:
    return InvalidInput.field("logo_url", message, "invalid_brand_logo")
