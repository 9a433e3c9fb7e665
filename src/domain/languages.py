"""The languages firegate speaks: those of its pages and its mails (docs/pages.md), and so
the languages an account may choose for them (``domain/accounts/profile.py``)."""

from __future__ import annotations

LOCALES = ("en", "es")
