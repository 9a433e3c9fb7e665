"""The events capability's service objects: ``services().of(EventServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.events.security_events import EventHistory
    from application.events.webhooks.admin import Webhooks


@dataclass(frozen=True, kw_only=True, slots=True)
class EventServices:
    """Security events and the admins' webhooks."""

    history: EventHistory  # security events (docs/reference/events.md)
    webhooks: Webhooks  # admins' webhooks (docs/reference/webhooks.md)
