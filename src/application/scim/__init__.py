"""SCIM 2.0 provisioning for an organization (docs/reference/scim.md)."""
