"""The settings groups of a person's account and its ways in: accounts, sign-in, the other
identity providers, mail and events (the capabilities below organizations)."""
