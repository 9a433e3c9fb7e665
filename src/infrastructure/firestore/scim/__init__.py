"""SCIM provisioning's Firestore repositories (docs/reference/scim.md)."""
