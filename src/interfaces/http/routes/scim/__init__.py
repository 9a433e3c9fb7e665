"""SCIM provisioning's JSON API: an org's SCIM tokens (docs/reference/scim.md)."""
