"""A security event as an OCSF 1.5 event (docs/reference/log-streams.md)."""

from __future__ import annotations

from typing import Any

from domain.events.security_events import SecurityEvent


def ocsf_event(event: SecurityEvent, *, product_name: str, product_version: str) -> dict[str, Any]:
    """``event`` as one OCSF 1.5 event of class Authentication (3002), Account Change (3001)
    or User Access Management (3005), firegate's own fields in ``unmapped``."""
    raise NotImplementedError("the OCSF mapping (helper ocsf)")
