"""Support access: an admin acting as a person (docs/support-access.md)."""
