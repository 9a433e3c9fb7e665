"""The org a request's Host names: an active org sign-in host's org, put on ``g`` by the
unit's request gate and read by the pages' brand (docs/org-brand.md)."""

from __future__ import annotations

from flask import g

HOST_ORG = "firegate_host_org"  # on ``g``: the id of the org whose active sign-in host served


def host_org() -> str | None:
    """The id of the org whose active sign-in host this request came to; None on the
    service's own host."""
    found = g.get(HOST_ORG)
    return found if isinstance(found, str) and found else None
