"""Claim sources: the slot signin owns (``sources``), its own source (``acr``), and those of
the features it holds until each is a unit of its own (docs/contributing.md, "Units")."""
