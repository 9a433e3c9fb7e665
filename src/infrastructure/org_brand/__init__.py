"""The org brand unit's adapters and settings (docs/org-brand.md)."""
