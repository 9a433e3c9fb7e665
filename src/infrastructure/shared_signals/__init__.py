"""The shared signals unit's part of this layer (docs/reference/ssf.md)."""
