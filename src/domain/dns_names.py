"""Domain names as DNS carries them: IDNA 2008 A-labels (docs/security.md, "One address, one
account").

The ``idna`` package is the codec (tables, no I/O): Python's own ``idna`` codec is IDNA 2003,
which maps ``ß`` to ``ss`` and the Greek final sigma to the other sigma, and so names another
domain than the one registered (``glaß-x.net`` is ``xn--gla-x-nqa.net``, a domain anyone may
hold beside ``glass-x.net``).
"""

from __future__ import annotations

import idna


def a_label(name: str) -> str | None:
    """``name`` in its ASCII form: lower case, each label an IDNA 2008 A-label after the UTS 46
    mapping (non-transitional: ``ß`` and ``ς`` stay themselves, upper case and full-width forms
    map to their small forms); None when IDNA 2008 refuses the name. An ASCII name is only
    lower-cased: that is all the mapping does to it."""
    if name.isascii():
        return name.lower()
    try:
        return idna.encode(name, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
