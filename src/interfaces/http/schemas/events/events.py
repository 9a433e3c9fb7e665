from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from application.events.security_events import EventType
from domain.events.security_events import SecurityEvent
from interfaces.http.schemas.common import PageOut, PageQuery, Schema


class EventOut(Schema):
    id: str
    time: datetime
    type: str
    outcome: Literal["success", "failure"]
    ip: str | None
    user_agent: str | None
    device_id: str | None
    actor_id: str | None = Field(description="Who acted, when not the account's owner")
    reason: str | None = Field(description="A stable code, e.g. wrong_password")
    method: str | None = Field(
        default=None,
        description="A sign-in's way in: password, passkey, federated or sso; null otherwise",
    )
    via: str | None = Field(
        default=None,
        description="What made an org's change, where not a person: scim (its directory), "
        "sso (its single sign-on, just in time) or recheck (a daily re-check); null otherwise",
    )
    subject_id: str | None = Field(
        default=None,
        description="On an admin's own record of support access: the account they acted as; "
        "null otherwise",
    )
    minutes: int | None = Field(
        default=None,
        description="On the start of support access: the minutes it was granted for; null "
        "otherwise",
    )

    @classmethod
    def of(cls, event: SecurityEvent) -> EventOut:
        return cls(
            id=event.id,
            time=event.at,
            type=event.type,
            outcome="failure" if event.outcome == "failure" else "success",
            ip=event.ip,
            user_agent=event.user_agent,
            device_id=event.device_id,
            actor_id=event.actor_id,
            reason=event.reason,
            method=event.method,
            via=event.via,
            subject_id=event.subject_id,
            minutes=event.minutes,
        )


class EventPage(PageOut[EventOut]):
    pass


class EventListQuery(PageQuery):
    type: EventType | None = Field(default=None, description="Only events of this type")
