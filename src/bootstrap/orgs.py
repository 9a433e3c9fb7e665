"""Organizations: their adapters, made from their settings, and their use cases bound to them
(docs/reference/orgs.md)."""

from __future__ import annotations
