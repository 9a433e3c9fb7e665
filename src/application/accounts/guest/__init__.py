"""Guests: accounts made before their person signs up (docs/guests.md)."""
