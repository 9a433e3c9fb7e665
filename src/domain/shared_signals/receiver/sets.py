"""A Security Event Token as a receiver checks it (RFC 8417, RFC 8935; subjects RFC 9493): its
claims held to the transmitter's issuer and to the audience firegate registered, its events
and the subject each names. A SET refused says why in RFC 8935's words (``Refused.err``):
nothing of it is acted on (docs/reference/ssf-receiver.md)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.shared_signals.receiver.events import EFFECTS, Effect

# RFC 8935's error codes
INVALID_REQUEST = "invalid_request"
INVALID_KEY = "invalid_key"
INVALID_ISSUER = "invalid_issuer"
INVALID_AUDIENCE = "invalid_audience"
AUTHENTICATION_FAILED = "authentication_failed"
ACCESS_DENIED = "access_denied"

JTI_MAX = 256
# How long a SET's ``jti`` is remembered: a transmitter retries a push for minutes, not days.
REMEMBERED = timedelta(days=7)


class Refused(Exception):
    """A SET not taken: ``err`` is RFC 8935's code, the answer 400 with nothing done (the
    receiver answers it in RFC 8935's error object, not as a problem)."""

    def __init__(self, err: str, description: str) -> None:
        super().__init__(description)
        self.err, self.description = err, description


@dataclass(frozen=True)
class Subject:
    """Whom an event is about (RFC 9493): by ``email``, or by ``iss_sub`` (an issuer's
    subject identifier)."""

    format: str  # "email" or "iss_sub"
    email: str = ""
    iss: str = ""
    sub: str = ""


@dataclass(frozen=True)
class Event:
    """One event of a SET: its type, what it does, and whom it is about."""

    type: str
    effect: Effect
    subject: Subject | None


@dataclass(frozen=True)
class ReceivedSet:
    """A SET's claims as checked: its ``jti``, issuer and events (each with its subject)."""

    jti: str
    issuer: str
    events: tuple[Event, ...]

    def remembered_until(self, now: datetime) -> datetime:
        return now + REMEMBERED


def subject_of(value: object) -> Subject | None:
    """A subject identifier (RFC 9493, and the RISC draft's ``subject_type`` forms Google
    sends: ``iss-sub``, ``email``); None for a form firegate does not match."""
    if not isinstance(value, Mapping):
        return None
    form = value.get("format", value.get("subject_type"))
    email = value.get("email")
    if form == "email" and isinstance(email, str) and "@" in email:  # never a username
        return Subject("email", email=email)
    if form in {"iss_sub", "iss-sub"}:
        iss, sub = value.get("iss"), value.get("sub")
        if isinstance(iss, str) and isinstance(sub, str) and iss and sub:
            return Subject("iss_sub", iss=iss, sub=sub)
    return None


def _audiences(claims: Mapping[str, object]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return []


def checked_set(
    claims: Mapping[str, object], *, issuer: str, audiences: Collection[str]
) -> ReceivedSet:
    """The SET of ``claims`` (its signature checked already), held to ``issuer`` and to one
    of ``audiences``; Refused otherwise. A subject is read from the event, else from the SET's
    ``sub_id`` (SSF 1.0); an event of a type firegate does not act on is refused too: it was
    not asked for."""
    if claims.get("iss") != issuer:
        raise Refused(INVALID_ISSUER, "The SET's issuer is not this stream's transmitter.")
    if not set(audiences) & set(_audiences(claims)):
        raise Refused(INVALID_AUDIENCE, "The SET's audience is not this receiver.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > JTI_MAX:
        raise Refused(INVALID_REQUEST, "The SET has no jti.")
    given = claims.get("events")
    if not isinstance(given, Mapping) or not given:
        raise Refused(INVALID_REQUEST, "The SET has no events.")
    top = subject_of(claims.get("sub_id"))
    events: list[Event] = []
    for kind, body in given.items():
        effect = EFFECTS.get(kind)
        if effect is None or not isinstance(body, Mapping):
            raise Refused(INVALID_REQUEST, f"An event of a type not asked for: {kind}.")
        subject = subject_of(body.get("subject")) or top
        if subject is None and effect is not Effect.NOTHING:
            raise Refused(INVALID_REQUEST, "An event names no subject firegate matches.")
        events.append(Event(kind, effect, subject))
    return ReceivedSet(jti=jti, issuer=issuer, events=tuple(events))
