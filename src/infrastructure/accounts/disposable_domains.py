"""The disposable-mail domains SIGNUP_BLOCK_DISPOSABLE refuses: the list the
disposable-email-domains package keeps, pinned in requirements.txt
(docs/decisions/0480-disposable-domains-from-a-package.md)."""

from __future__ import annotations

from disposable_email_domains import blocklist

from domain.accounts.signups import domains


def disposable_domains() -> frozenset[str]:
    return domains(blocklist)
