"""Signing in by a one-time code sent to the person: by mail (``email``). The flows live
here; the capability that carries a code (mail: application/mail/code_mail.py) only renders
and sends it (docs/decisions/0520-codes-a-room-of-signin.md)."""
