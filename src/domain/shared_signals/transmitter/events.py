"""The security events the SSF transmitter sends (CAEP 1.0, RISC 1.0, SSF 1.0's own), as
the events of a Security Event Token (RFC 8417) made of a stored security event
(docs/reference/ssf.md, "Events";
docs/decisions/0956-what-the-ssf-transmitter-says-of-each-event.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.events.security_events import SecurityEvent
from domain.shared_signals.event_types import (
    ACCOUNT_DISABLED,
    ACCOUNT_PURGED,
    ASSURANCE_LEVEL_CHANGE,
    CREDENTIAL_CHANGE,
    CREDENTIAL_COMPROMISE,
    SESSION_REVOKED,
)

# What a stream may ask for, in this order in ``events_supported``; the verification and
# stream-updated events go to every stream, asked for or not (SSF 1.0 §8.1.4, §8.1.5).
SUPPORTED: tuple[str, ...] = (
    SESSION_REVOKED,
    CREDENTIAL_CHANGE,
    ASSURANCE_LEVEL_CHANGE,
    ACCOUNT_DISABLED,
    ACCOUNT_PURGED,
    CREDENTIAL_COMPROMISE,
)

# CAEP 1.0 §3.3's credential types of firegate's factors: a passkey is a FIDO2 credential
# that may live on the device or a key (fido2-platform covers both here); the second factor
# an authenticator app's one-time codes.
PASSWORD, PASSKEY, AUTHENTICATOR_APP = "password", "fido2-platform", "app"
_CREDENTIAL_CHANGES: Mapping[str, tuple[str, str]] = {
    "password.changed": (PASSWORD, "update"),
    "password.reset": (PASSWORD, "update"),
    "passkey.added": (PASSKEY, "create"),
    "passkey.removed": (PASSKEY, "delete"),
    "mfa.enabled": (AUTHENTICATOR_APP, "create"),
    "mfa.disabled": (AUTHENTICATOR_APP, "delete"),
}
# NIST SP 800-63B's authenticator assurance levels: a password alone is AAL1, a password and
# a second factor AAL2 (CAEP 1.0 §3.4's namespace ``NIST-AAL``).
AAL1, AAL2 = "nist-aal1", "nist-aal2"
_ASSURANCE: Mapping[str, tuple[str, str, str]] = {
    "mfa.enabled": (AAL2, AAL1, "increase"),
    "mfa.disabled": (AAL1, AAL2, "decrease"),
}


def _common(event: SecurityEvent) -> dict[str, Any]:
    """CAEP 1.0 §2's common claims: when, and who made it happen (the account's owner, or
    an admin for them)."""
    by_other = event.actor_id is not None and event.actor_id != event.user_id
    return {
        "event_timestamp": int(event.at.timestamp()),
        "initiating_entity": "admin" if by_other else "user",
    }


def set_events(event: SecurityEvent) -> dict[str, dict[str, Any]]:
    """The SET ``events`` claim ``event`` makes: each supported event type it is, by URI, with
    its fields; empty for an event the transmitter does not send (a failed change, a
    sign-in)."""
    if event.outcome != "success":
        return {}
    kind, made = event.type, {}
    if kind == "session.ended":
        made[SESSION_REVOKED] = _common(event)
    if kind in _CREDENTIAL_CHANGES:
        credential, change = _CREDENTIAL_CHANGES[kind]
        made[CREDENTIAL_CHANGE] = {
            **_common(event),
            "credential_type": credential,
            "change_type": change,
        }
    if kind in _ASSURANCE:
        current, previous, direction = _ASSURANCE[kind]
        made[ASSURANCE_LEVEL_CHANGE] = {
            **_common(event),
            "namespace": "NIST-AAL",
            "current_level": current,
            "previous_level": previous,
            "change_direction": direction,
        }
    if kind == "user.disabled":
        made[ACCOUNT_DISABLED] = {"event_timestamp": int(event.at.timestamp())}
    if kind == "user.deleted":
        made[ACCOUNT_PURGED] = {"event_timestamp": int(event.at.timestamp())}
    if kind == "password.breached":
        made[CREDENTIAL_COMPROMISE] = {
            "event_timestamp": int(event.at.timestamp()),
            "credential_type": PASSWORD,
        }
    return made


def set_claims(
    *,
    issuer: str,
    audience: str,
    jti: str,
    issued_at: int,
    subject: Mapping[str, str],
    events: Mapping[str, Mapping[str, Any]],
    txn: str | None = None,
) -> dict[str, Any]:
    """A SET's claims (RFC 8417 §2.2; SSF 1.0 §4: the subject in ``sub_id``, RFC 9493)."""
    return {
        "iss": issuer,
        "aud": audience,
        "iat": issued_at,
        "jti": jti,
        "sub_id": dict(subject),
        "events": {uri: dict(fields) for uri, fields in events.items()},
        **({"txn": txn} if txn is not None else {}),
    }
