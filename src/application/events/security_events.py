"""Security events, stored per account and read back (docs/reference/events.md).

They are fed from the one place every use case already reports them: the audit port.
``StoringAuditLog`` logs each audit event as before and stores what a person or an admin
should see; a failed write is logged and counted, never raised
(docs/decisions/0170-security-events-store.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol, get_args

from application.accounts.accounts import UserRepository as Users
from application.accounts.admin import target_of
from application.events.outbox import EventOutbox
from application.pagination import (
    Page,
    decode_cursor,
    paginate,
    parse_time_position,
    time_position,
)
from application.ports import Audit, AuditEvent, AuditLog, Clock, StagedWrites
from application.signin.authentication import Actor
from domain.errors import InvalidInput
from domain.events.outbox import OutboxEntry
from domain.events.security_events import Activity, SecurityEvent, activity_of
from domain.events.webhooks import Delivery
from domain.ids import new_id

log = logging.getLogger("firegate.events")

EventType = Literal[
    "user.created",
    "user.deleted",
    "user.disabled",
    "user.enabled",
    "user.role_changed",
    "guest.merged",
    "signin.succeeded",
    "signin.failed",
    "signin.new_device",
    "signin.challenged",
    "password.changed",
    "password.reset",
    "password.breached",
    "email.changed",
    "email.verified",
    "phone.changed",
    "phone.removed",
    "mfa.enabled",
    "mfa.disabled",
    "passkey.added",
    "passkey.removed",
    "session.ended",
    "impersonation.started",
    "impersonation.ended",
    "oauth.granted",
    "oauth.revoked",
    "oauth.device_approved",
    "oauth.device_denied",
    "identity.linked",
    "identity.unlinked",
    "pat.created",
    "pat.revoked",
    "org.created",
    "org.updated",
    "org.deleted",
    "org.member_added",
    "org.member_removed",
    "org.member_roles_changed",
    "org.invitation_created",
    "org.invitation_accepted",
    "org.domain_verified",
    "org.domain_look_alike",
    "org.sso_connection_created",
    "org.sso_connection_updated",
    "org.sso_connection_activated",
    "org.sso_connection_deactivated",
    "org.sso_certificate_expiring",
    "org.sso_connection_draft_saved",
    "org.sso_connection_draft_applied",
    "org.sso_connection_draft_discarded",
    "org.scim_token_created",
    "org.scim_token_revoked",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


class SecurityEvents(Protocol):
    def add(
        self,
        event: SecurityEvent,
        deliveries: Sequence[Delivery] = (),
        entries: Sequence[OutboxEntry] = (),
    ) -> None:
        """Store one event (its ``expires_at`` is the TTL field), its webhook deliveries
        and the units' outbox entries of it in one commit."""
        ...

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Store deliveries of an audit event that is stored as no security event (an
        account claimed ends its sessions: back-channel logout), in one commit."""
        ...

    def list_page(
        self, user_id: str, type: str | None, before: tuple[datetime, str] | None, limit: int
    ) -> list[SecurityEvent]:
        """Up to ``limit`` of the user's events, newest first by (at, id), before that
        position; only those of ``type`` where given."""
        ...

    def list_org_page(
        self, org_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[SecurityEvent]:
        """Up to ``limit`` of the org's events (its audit log), newest first by (at, id),
        before that position."""
        ...


# The audit events a person sees, by (audit event, outcome). Sign-in steps that are not the
# sign-in itself (an MFA challenge, a code that then signs in) are left out.
_TYPES: dict[tuple[Audit, str], str] = {
    (Audit.USER_CREATED, "success"): "user.created",
    (Audit.ACCOUNT_DELETION, "success"): "user.deleted",
    (Audit.GUEST_MERGED, "success"): "guest.merged",
    (Audit.LOGIN, "success"): "signin.succeeded",
    (Audit.LOGIN, "failure"): "signin.failed",
    (Audit.PASSKEY_SIGN_IN, "success"): "signin.succeeded",
    (Audit.PASSKEY_SIGN_IN, "failure"): "signin.failed",
    (Audit.MFA_CODE, "failure"): "signin.failed",
    (Audit.NEW_DEVICE, "success"): "signin.new_device",
    (Audit.SIGNIN_CHALLENGED, "failure"): "signin.challenged",
    (Audit.PASSWORD_CHANGE, "success"): "password.changed",
    (Audit.PASSWORD_RESET, "success"): "password.reset",
    (Audit.PASSWORD_BREACHED, "success"): "password.breached",
    (Audit.EMAIL_CHANGE, "success"): "email.changed",
    (Audit.EMAIL_VERIFIED, "success"): "email.verified",
    (Audit.PHONE_CHANGE, "success"): "phone.changed",
    (Audit.PHONE_REMOVED, "success"): "phone.removed",
    (Audit.MFA_ENABLED, "success"): "mfa.enabled",
    (Audit.MFA_DISABLED, "success"): "mfa.disabled",
    (Audit.PASSKEY_REGISTERED, "success"): "passkey.added",
    (Audit.PASSKEY_DELETED, "success"): "passkey.removed",
    (Audit.LOGOUT, "success"): "session.ended",
    (Audit.IMPERSONATION_STARTED, "success"): "impersonation.started",
    (Audit.IMPERSONATION_ENDED, "success"): "impersonation.ended",
    (Audit.OAUTH_GRANTED, "success"): "oauth.granted",
    (Audit.OAUTH_REVOKED, "success"): "oauth.revoked",
    (Audit.OAUTH_REVOKED, "failure"): "oauth.revoked",
    (Audit.OAUTH_DEVICE_APPROVED, "success"): "oauth.device_approved",
    (Audit.OAUTH_DEVICE_DENIED, "success"): "oauth.device_denied",
    (Audit.IDENTITY_LINKED, "success"): "identity.linked",
    (Audit.IDENTITY_UNLINKED, "success"): "identity.unlinked",
    (Audit.PAT_CREATED, "success"): "pat.created",
    (Audit.PAT_REVOKED, "success"): "pat.revoked",
    (Audit.ORG_CREATED, "success"): "org.created",
    (Audit.ORG_UPDATED, "success"): "org.updated",
    (Audit.ORG_DELETED, "success"): "org.deleted",
    (Audit.ORG_MEMBER_ADDED, "success"): "org.member_added",
    (Audit.ORG_MEMBER_REMOVED, "success"): "org.member_removed",
    (Audit.ORG_MEMBER_ROLES_CHANGED, "success"): "org.member_roles_changed",
    # a directory's or a connection's grant refused (reason ``permission_escalation``)
    (Audit.ORG_MEMBER_ROLES_CHANGED, "failure"): "org.member_roles_changed",
    (Audit.ORG_INVITATION_CREATED, "success"): "org.invitation_created",
    (Audit.ORG_INVITATION_ACCEPTED, "success"): "org.invitation_accepted",
    (Audit.ORG_DOMAIN_VERIFIED, "success"): "org.domain_verified",
    (Audit.ORG_DOMAIN_LOOK_ALIKE, "success"): "org.domain_look_alike",
    (Audit.ORG_SSO_CONNECTION_CREATED, "success"): "org.sso_connection_created",
    (Audit.ORG_SSO_CONNECTION_UPDATED, "success"): "org.sso_connection_updated",
    (Audit.ORG_SSO_CONNECTION_ACTIVATED, "success"): "org.sso_connection_activated",
    (Audit.ORG_SSO_CONNECTION_DEACTIVATED, "success"): "org.sso_connection_deactivated",
    (Audit.ORG_SSO_CERTIFICATE_EXPIRING, "success"): "org.sso_certificate_expiring",
    (Audit.ORG_SSO_CONNECTION_DRAFT_SAVED, "success"): "org.sso_connection_draft_saved",
    (Audit.ORG_SSO_CONNECTION_DRAFT_APPLIED, "success"): "org.sso_connection_draft_applied",
    (Audit.ORG_SSO_CONNECTION_DRAFT_DISCARDED, "success"): "org.sso_connection_draft_discarded",
    (Audit.ORG_SCIM_TOKEN_CREATED, "success"): "org.scim_token_created",
    (Audit.ORG_SCIM_TOKEN_REVOKED, "success"): "org.scim_token_revoked",
}


def _change_type(field: str, after: str) -> str | None:
    if field == "role":
        return "user.role_changed"
    if field == "disabled":
        return "user.disabled" if after == "True" else "user.enabled"
    return None


def _types_of(event: AuditEvent) -> list[str]:
    if event.event is Audit.ROLE_CHANGE:  # one audit record for a role and a disabled flag
        kinds = (_change_type(field, after) for field, _, after in event.changes)
        return [kind for kind in kinds if kind]
    kind = _TYPES.get((event.event, event.outcome))
    return [kind] if kind else []


def security_events_of(event: AuditEvent, *, at: datetime) -> list[SecurityEvent]:
    """What of ``event`` is stored: nothing for an event about no account."""
    if event.user_id is None:
        return []
    return [
        SecurityEvent(
            id=new_id(),
            at=at,
            type=kind,
            user_id=event.user_id,
            outcome=event.outcome,
            ip=event.ip,
            user_agent=event.user_agent,
            session_id=event.session_id,
            actor_id=event.actor_id,
            reason=event.reason,
            org_id=event.org_id,
            method=event.method,
            via=event.via,
            subject_id=event.subject_id,
            minutes=event.minutes,
        )
        for kind in _types_of(event)
    ]


@dataclass(frozen=True)
class StagedEvents(StagedWrites):
    """What the events' log stages besides the audit events: the security events the
    change's commit writes of them, and their webhook deliveries (the outbox). Only the
    events' code reads them; the kernel's ``StagedWrites`` carries them through the commit
    (docs/decisions/0805-the-kernels-ports-name-no-capability.md)."""

    events: tuple[SecurityEvent, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    entries: tuple[OutboxEntry, ...] = ()  # the units' outboxes' (``EventOutbox``)


def staged_events(staged: StagedWrites) -> StagedEvents:
    """What ``staged`` holds of the events': none when a log that stores no event staged it."""
    return staged if isinstance(staged, StagedEvents) else StagedEvents(audit=staged.audit)


class Outbox(Protocol):
    """Webhooks (application/events/webhooks/outbox.py): what to deliver of an event, and
    the sending of it once stored."""

    def deliveries(self, event: SecurityEvent) -> list[Delivery]: ...
    def stored(self, deliveries: Sequence[Delivery]) -> None: ...


class NoOutbox:
    def deliveries(self, event: SecurityEvent) -> list[Delivery]:
        return []

    def stored(self, deliveries: Sequence[Delivery]) -> None:
        return None


class SessionEnds(Protocol):
    """Back-channel logout (application/provider/logout.py): the outbox's deliveries of an
    audit event that ends sessions, to the clients holding grants of them."""

    def deliveries(self, event: AuditEvent) -> list[Delivery]: ...


class NoSessionEnds:
    def deliveries(self, event: AuditEvent) -> list[Delivery]:
        return []


class StoringAuditLog:
    """An ``AuditLog`` that hands each event to ``log`` and stores what ``security_events_of``
    keeps, with its webhook deliveries in the same commit. A write that fails is logged and
    counted in ``failed_writes``: the request that caused the event goes on."""

    def __init__(
        self,
        log: AuditLog,
        events: SecurityEvents,
        clock: Clock,
        outbox: Outbox | None = None,
        ends: SessionEnds | None = None,
        *,
        outboxes: Sequence[EventOutbox] = (),
    ) -> None:
        self._log, self._events, self._clock = log, events, clock
        self._outbox = outbox or NoOutbox()
        # The units' that send events on, each given its entries in the event's commit.
        self._outboxes = tuple(outboxes)
        # Every way a session ends is an audit event: its back-channel logout tokens go in
        # the event's commit (docs/decisions/0416-back-channel-logout-through-the-outbox.md).
        self._ends = ends or NoSessionEnds()
        self._lock = threading.Lock()
        self.failed_writes = 0

    def stage(self, events: Sequence[AuditEvent]) -> StagedEvents:
        at = self._clock.now()
        kept = tuple(kept for event in events for kept in security_events_of(event, at=at))
        deliveries: list[Delivery] = []
        for stored in kept:
            try:
                deliveries += self._outbox.deliveries(stored)
            except Exception as error:  # the event is still stored; never fail the change
                self._failed(stored, error)
        for event in events:
            deliveries += self._logouts(event)
        return StagedEvents(
            audit=self._log.stage(events).audit,
            events=kept,
            deliveries=tuple(deliveries),
            entries=tuple(entry for stored in kept for entry in self._entries(stored)),
        )

    def _entries(self, stored: SecurityEvent) -> list[OutboxEntry]:
        """The units' outbox entries of ``stored``: none of a unit that fails to make
        them (the event is stored all the same)."""
        made: list[OutboxEntry] = []
        for outbox in self._outboxes:
            try:
                made += outbox.entries(stored)
            except Exception as error:
                log.warning(
                    "%s outbox: %s not sent on (%s)", outbox.kind, stored.type, type(error).__name__
                )
        return made

    def _entries_stored(self, entries: Sequence[OutboxEntry]) -> None:
        for outbox in self._outboxes:
            own = [entry for entry in entries if entry.kind == outbox.kind]
            if own:
                outbox.stored(own)

    def _logouts(self, event: AuditEvent) -> list[Delivery]:
        try:
            return self._ends.deliveries(event)
        except Exception as error:  # the change stands; its logout tokens are not sent
            log.warning(
                "back-channel logout not queued: %s (%s)", event.event, type(error).__name__
            )
            return []

    def committed(self, staged: StagedWrites) -> None:
        self._log.committed(staged)  # stored already, in the commit of the change
        events = staged_events(staged)
        self._outbox.stored(events.deliveries)
        self._entries_stored(events.entries)

    def _failed(self, stored: SecurityEvent, error: Exception) -> None:
        with self._lock:
            self.failed_writes += 1
        log.warning(
            "security event not stored: %s (%s)",
            stored.type,
            type(error).__name__,
            extra={"event": stored.type, "failed_writes": self.failed_writes},
        )

    def record(self, event: AuditEvent) -> None:
        self._log.record(event)
        logouts = self._logouts(event)
        for stored in security_events_of(event, at=self._clock.now()):
            try:
                deliveries = self._outbox.deliveries(stored) + logouts
                entries = self._entries(stored)
                self._events.add(stored, deliveries, entries)
            except Exception as error:  # never fail the request that caused it
                self._failed(stored, error)
            else:
                self._outbox.stored(deliveries)
                self._entries_stored(entries)
            logouts = []  # with the first event's commit
        if logouts:  # an event stored as no security event (an account claimed)
            try:
                self._events.add_deliveries(logouts)
            except Exception as error:
                log.warning("back-channel logout not stored (%s)", type(error).__name__)
            else:
                self._outbox.stored(logouts)


def no_one_acting() -> tuple[str, str] | None:
    return None


@dataclass(frozen=True, kw_only=True, slots=True)
class WithRequestOrigin:
    """An ``AuditLog`` that gives each event the client address and user agent of the
    request that caused it, where the use case did not name them: an admin's change, a
    session ended, an address changed. ``origin()`` is ``("", "")`` outside a person's
    request (a background job, the job queue's push).

    ``acting()``: the person and the admin acting as them, when the request's session is
    one of support access (None else): each event it causes names the admin as its actor,
    where the use case named the person or no one (docs/support-access.md)."""

    inner: AuditLog
    origin: Callable[[], tuple[str, str]]
    acting: Callable[[], tuple[str, str] | None] = no_one_acting

    def _filled(self, event: AuditEvent) -> AuditEvent:
        event = self._acted(event)
        if event.ip and event.user_agent:
            return event
        ip, agent = self.origin()
        if (event.ip or not ip) and (event.user_agent or not agent):
            return event
        return replace(
            event, ip=event.ip or ip or None, user_agent=event.user_agent or agent or None
        )

    def _acted(self, event: AuditEvent) -> AuditEvent:
        acting = self.acting()
        if acting is None:
            return event
        person_id, admin_id = acting
        if event.actor_id not in (None, person_id) or admin_id in (event.user_id, event.actor_id):
            return event
        return replace(event, actor_id=admin_id)

    def record(self, event: AuditEvent) -> None:
        self.inner.record(self._filled(event))

    def stage(self, events: Sequence[AuditEvent]) -> StagedWrites:
        return self.inner.stage([self._filled(event) for event in events])

    def committed(self, staged: StagedWrites) -> None:
        self.inner.committed(staged)  # its events were filled when staged


@dataclass(frozen=True)
class EventQuery:
    """The caller's own events (``user_id`` None), or an admin's look at ``user_id``'s."""

    actor: Actor
    limit: int
    cursor: str | None = None
    type: str | None = None
    user_id: str | None = None


def known_type(value: str | None) -> str | None:
    if value is not None and value not in EVENT_TYPES:
        raise InvalidInput.field("type", "This is not a known event type.", "unknown_event_type")
    return value


ACTIVITY_READ = 100  # events read for an activity feed's lines, at most


@dataclass(frozen=True, kw_only=True, slots=True)
class EventHistory:
    """The security events read back: an account's list (its owner's, or an admin's look at
    it) and its activity feed. ``users``: whose events an admin lists by id."""

    events: SecurityEvents
    users: Users

    def list(self, query: EventQuery) -> Page[SecurityEvent]:
        """Newest first by (at, id); 403 for another's unless an admin, 404 for no such
        account. On one's own list, another person's acts carry no address or user agent
        (theirs)."""
        kind = known_type(query.type)
        user_id = query.actor.user_id
        if query.user_id is not None:
            user_id = target_of(query.actor, query.user_id, self.users).id
        position = decode_cursor(query.cursor)
        before = parse_time_position(position) if position is not None else None
        rows = self.events.list_page(user_id, kind, before, query.limit + 1)
        if query.user_id is None:  # the owner's own list; an admin's look keeps every field
            rows = [row.as_owner_sees_it() for row in rows]
        last = rows[query.limit - 1] if len(rows) > query.limit else None
        return paginate(rows, query.limit, time_position(last.at, last.id) if last else None)

    def recent(self, query: EventQuery) -> Sequence[Activity]:
        """The newest ``limit`` lines of an account's activity (the pages'): its events,
        failed sign-ins in a row collapsed into one line with their count."""
        read = replace(query, limit=max(ACTIVITY_READ, query.limit), cursor=None)
        return activity_of(self.list(read).items)[: query.limit]
