"""The disposable-mail domains SIGNUP_BLOCK_DISPOSABLE refuses: the list the
disposable-email-domains package keeps, pinned in requirements.txt
(docs/decisions/0480-disposable-domains-from-a-package.md)."""

from __future__ import annotations

from domain.accounts.signups import domains


def disposable_domains() -> frozenset[str]:
    """The list, imported only when SIGNUP_BLOCK_DISPOSABLE is on: its 2.6 MiB are not a
    worker's otherwise (docs/decisions/0530-protocol-stacks-loaded-when-used.md)."""
    from disposable_email_domains import blocklist  # noqa: PLC0415

    return domains(blocklist)
