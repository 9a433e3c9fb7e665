"""Cells as written into a CSV that firegate hands back."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: str) -> str:
    """A cell as written into a CSV we hand back: one that starts like a formula (= + - @,
    tab, carriage return) gets a leading apostrophe, as OWASP advises, so that spreadsheets
    show it as text. Applied literally: ``-12.5`` comes back as ``'-12.5`` too."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell
