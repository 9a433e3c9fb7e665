"""The log streams unit's adapters: its destinations
(docs/reference/log-streams-destinations.md)."""
