"""The otpauth URI of a TOTP enrolment as a QR code, an SVG document (segno): the API's
``qr_svg`` and the account page draw it alike (docs/reference/mfa.md)."""

from __future__ import annotations

import io


def qr_svg(uri: str, *, title: str | None = None, light: str | None = None) -> str:
    """``title``: the image's accessible name; ``light``: the background (transparent by
    default), white where a dark page must not swallow it. segno is imported by the first
    enrolment drawn (docs/decisions/0530-protocol-stacks-loaded-when-used.md)."""
    import segno  # noqa: PLC0415

    svg = io.BytesIO()
    segno.make(uri, error="m").save(
        svg,
        kind="svg",
        scale=4,
        xmldecl=False,
        svgclass=None,
        lineclass=None,
        title=title,
        light=light,
    )
    return svg.getvalue().decode()
