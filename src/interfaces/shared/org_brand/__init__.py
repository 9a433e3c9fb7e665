"""What the org brand unit's API and pages share of a request (docs/org-brand.md)."""
