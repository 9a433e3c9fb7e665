"""The shapes of SCIM provisioning's JSON API (docs/reference/scim.md)."""
