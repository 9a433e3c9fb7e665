"""Ways in of their own: TOTP authenticators and recovery codes, passkeys."""
