"""The security events firegate takes as a receiver (docs/reference/ssf-receiver.md): their
event-type URIs (OpenID CAEP 1.0, RISC 1.0) and what each does to the person it names."""

from __future__ import annotations

from enum import StrEnum

from domain.shared_signals.event_types import (
    ACCOUNT_DISABLED,
    CREDENTIAL_CHANGE,
    SESSION_REVOKED,
    SESSIONS_REVOKED,
    VERIFICATION,
)

# What firegate asks an org's IdP's transmitter for when it registers its stream.
REQUESTED = (SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_DISABLED)


class Effect(StrEnum):
    """What an event does to the account its subject names."""

    END_SESSIONS = "end_sessions"  # every session, refresh token and Firebase access ends
    DISABLE = "disable"  # the account (an org's: one it manages) or the identity is disabled
    NOTHING = "nothing"  # an event taken and not acted on (a stream's verification)


EFFECTS: dict[str, Effect] = {
    SESSION_REVOKED: Effect.END_SESSIONS,
    CREDENTIAL_CHANGE: Effect.END_SESSIONS,
    SESSIONS_REVOKED: Effect.END_SESSIONS,
    ACCOUNT_DISABLED: Effect.DISABLE,
    VERIFICATION: Effect.NOTHING,
}
