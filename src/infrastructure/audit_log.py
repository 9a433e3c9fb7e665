"""Audit events as structured log records: one JSON line each on the ``firegate.audit`` logger.

The JSON formatter of ``interfaces.shared.logs`` turns the fields into top-level keys, so Cloud
Logging can filter on ``jsonPayload.logger="firegate.audit"`` and ``jsonPayload.event``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from application.ports import Audit, AuditEvent, StagedWrites

AUDIT_LOGGER = "firegate.audit"


class LoggingAuditLog:
    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger(AUDIT_LOGGER)
        # The audit trail does not depend on LOG_LEVEL: successes are INFO, and kept.
        if self._log.level == logging.NOTSET or self._log.level > logging.INFO:
            self._log.setLevel(logging.INFO)

    def stage(self, events: Sequence[AuditEvent]) -> StagedWrites:
        return StagedWrites(audit=tuple(events))  # a log line is written once committed

    def committed(self, staged: StagedWrites) -> None:
        for event in staged.audit:
            self.record(event)

    def record(self, event: AuditEvent) -> None:
        suspicious = event.outcome != "success" or event.event is Audit.REFRESH_TOKEN_REUSE
        fields = {
            "event": event.event.value,
            "outcome": event.outcome,
            "user_id": event.user_id,
            "session_id": event.session_id,
            "ip": event.ip,
            "actor_id": event.actor_id,
            "reason": event.reason,
            **({"org_id": event.org_id} if event.org_id is not None else {}),
            **({"method": event.method} if event.method is not None else {}),
            **({"via": event.via} if event.via is not None else {}),
            **({"subject_id": event.subject_id} if event.subject_id is not None else {}),
            **({"minutes": event.minutes} if event.minutes is not None else {}),
            "changes": [
                {"field": field, "before": before, "after": after}
                for field, before, after in event.changes
            ],
        }
        self._log.log(
            logging.WARNING if suspicious else logging.INFO,
            "audit: %s %s",
            event.event.value,
            event.outcome,
            extra=fields,
        )
