"""Support access in the pages: an admin's "Act as", the banner, the forms refused
(docs/support-access.md)."""
