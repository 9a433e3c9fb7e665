"""The agents' claim source: introspection answers who acts for the person in a delegated
token (``act``, RFC 8693 §4.1: an exchanged token's chain, docs/agents-and-clis.md). The
exchange writes the chain itself (``Delegation``), as an app's custom token does
(``ActingAgent``)."""

from __future__ import annotations

from domain.signin.claims.sources import ClaimSource, copied

AGENT_CLAIMS = (ClaimSource(name="act", kinds=frozenset({"introspection"}), value=copied("act")),)
