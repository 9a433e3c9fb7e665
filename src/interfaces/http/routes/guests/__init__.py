"""The guests unit's JSON API: ``POST /auth/guest`` (docs/guests.md)."""
