"""The native apps unit's part of this layer (docs/native-apps.md)."""
