"""An account's guest state: its user part and the refusals of its upgrade and its merge,
the accounts' own whichever way made the guest (docs/guests.md,
docs/decisions/0760-the-guest-way-in-is-a-unit.md)."""
