"""The log streams unit: an org's audit events streamed to its own SIEM
(docs/log-streams.md, docs/reference/log-streams.md)."""

from __future__ import annotations

from bootstrap.unit import Unit

UNIT = Unit[None](name="log_streams")
