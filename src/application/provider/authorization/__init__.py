"""The authorization request's parts: consent, the device grant, pushed requests."""
