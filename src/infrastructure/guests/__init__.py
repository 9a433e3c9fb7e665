"""The guests unit's settings (docs/guests.md)."""
