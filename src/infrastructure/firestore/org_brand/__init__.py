"""The org brand unit's part of this layer (docs/org-brand.md)."""
