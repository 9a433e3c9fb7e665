"""A stored security event: what a person and an admin read about an account
(docs/reference/events.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

KEPT_FOR = timedelta(days=90)  # the Firestore TTL on ``expires_at`` (docs/operations.md)
# Failed sign-ins of an account in a row, none more than this after the run's newest, are one
# line of its activity (docs/decisions/0231-failed-sign-ins-collapsed.md).
FAILURE_RUN = timedelta(hours=1)
SIGNIN_FAILED = "signin.failed"


@dataclass(frozen=True)
class SecurityEvent:
    """One stored event about the account ``user_id``; ``actor_id`` when someone else acted."""

    id: str
    at: datetime
    type: str
    user_id: str
    outcome: str = "success"
    ip: str | None = None
    user_agent: str | None = None
    device_id: str | None = None
    actor_id: str | None = None
    reason: str | None = None
    session_id: str | None = None  # the session it began or happened in, where one
    org_id: str | None = None  # the organization it happened in: its audit log lists it
    method: str | None = None  # a sign-in's way in (docs/reference/events.md)
    via: str | None = None  # what made an org's change: scim, sso (docs/reference/events.md)
    # The account an admin acted as, on the admin's own record of support access
    subject_id: str | None = None
    minutes: int | None = None  # support access's length, on its start

    @property
    def expires_at(self) -> datetime:
        return self.at + KEPT_FOR

    def as_owner_sees_it(self) -> SecurityEvent:
        """The event on the account owner's own list: where another person acted (an
        admin), that person's address and browser are theirs, and are left out."""
        if self.actor_id is None or self.actor_id == self.user_id:
            return self
        return replace(self, ip=None, user_agent=None)


@dataclass(frozen=True)
class Activity:
    """One line of an account's activity: an event, or failed sign-ins in a row (``count``
    of them, ``event`` the newest, from ``addresses`` addresses and ``agents`` user agents)."""

    event: SecurityEvent
    count: int = 1
    addresses: int = 1
    agents: int = 1
    since: datetime | None = None  # the oldest of the run


def activity_of(events: Iterable[SecurityEvent], window: timedelta = FAILURE_RUN) -> list[Activity]:
    """``events`` (newest first) as lines: failed sign-ins in a row within ``window`` of the
    newest of them are one line, so that anyone who types an account's name cannot fill its
    feed."""
    lines: list[Activity] = []
    run: list[SecurityEvent] = []

    def close() -> None:
        if run:
            lines.append(
                Activity(
                    run[0],
                    count=len(run),
                    addresses=len({e.ip for e in run}),
                    agents=len({e.user_agent for e in run}),
                    since=run[-1].at if len(run) > 1 else None,
                )
            )
            run.clear()

    for event in events:
        if event.type != SIGNIN_FAILED:
            close()
            lines.append(Activity(event))
        elif run and run[0].at - event.at > window:
            close()
            run.append(event)
        else:
            run.append(event)
    close()
    return lines
