"""An account's guest state: its user part and the refusals of its upgrade and its merge,
the accounts' own whichever way made the guest (docs/guests.md,
docs/decisions/0760-a-guests-state-is-the-accounts-the-guest-way-in-a-unit.md)."""
