"""A security event as a log stream sends it: firegate's own JSON, or OCSF 1.5
(docs/reference/log-streams.md, "Formats"), and the envelope an outbox entry keeps it in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.log_streams.ports import StreamRecord
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.log_streams.ocsf import ocsf_event
from domain.log_streams.streams import StreamFormat

FIREGATE_VERSION = 1  # the ``version`` of firegate's format, raised when a field changes meaning

# The events a stream sends: sign-ins, sessions' ends, factor and address changes,
# membership and role changes, SSO and SCIM changes, support access (docs/reference/events.md).
STREAMED: frozenset[str] = frozenset(
    {
        "signin.succeeded",
        "signin.failed",
        "signin.challenged",
        "signin.new_device",
        "session.ended",
        "password.changed",
        "password.reset",
        "email.changed",
        "email.verified",
        "phone.changed",
        "phone.removed",
        "mfa.enabled",
        "mfa.disabled",
        "passkey.added",
        "passkey.removed",
        "identity.linked",
        "identity.unlinked",
        "user.role_changed",
        "user.disabled",
        "user.enabled",
        "user.deleted",
        "org.member_added",
        "org.member_removed",
        "org.member_roles_changed",
        "org.invitation_accepted",
        "org.sso_connection_created",
        "org.sso_connection_updated",
        "org.sso_connection_activated",
        "org.sso_connection_deactivated",
        "org.sso_connection_draft_applied",
        "org.scim_token_created",
        "org.scim_token_revoked",
        "impersonation.started",
        "impersonation.ended",
    }
)
_OPTIONAL = (
    "outcome",
    "user_id",
    "actor_id",
    "subject_id",
    "org_id",
    "session_id",
    "ip",
    "user_agent",
    "device_id",
    "method",
    "via",
    "reason",
    "minutes",
)


@dataclass(frozen=True)
class Product:
    """Who sends the events: the service's name (SITE_NAME) and version."""

    name: str
    version: str


def timestamp(at: datetime) -> str:
    """RFC 3339 in UTC, to the millisecond: ``2026-05-01T12:00:00.000Z``."""
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def firegate_event(event: SecurityEvent, product: Product) -> dict[str, Any]:
    """firegate's own format: the event's fields by their names, those without a value left
    out (docs/reference/log-streams.md)."""
    shown: dict[str, Any] = {
        "version": FIREGATE_VERSION,
        "id": event.id,
        "type": event.type,
        "time": timestamp(event.at),
        "product": product.name,
    }
    for name in _OPTIONAL:
        value = getattr(event, name)
        if value is not None:
            shown[name] = value
    return shown


def formatted(event: SecurityEvent, fmt: StreamFormat, product: Product) -> dict[str, Any]:
    if fmt is StreamFormat.OCSF:
        return ocsf_event(event, product_name=product.name, product_version=product.version)
    return firegate_event(event, product)


def envelope(event: SecurityEvent, fmt: StreamFormat, product: Product) -> str:
    """What an outbox entry keeps of ``event`` for a stream: its id, type and the event in
    the stream's format."""
    return json.dumps(
        {"id": event.id, "type": event.type, "event": formatted(event, fmt, product)},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def record_of(entry: OutboxEntry) -> StreamRecord:
    """The record an entry's envelope makes."""
    kept = json.loads(entry.body)
    body = json.dumps(kept["event"], separators=(",", ":"), ensure_ascii=False)
    return StreamRecord(id=str(kept["id"]), at=entry.at, type=str(kept["type"]), body=body)
