"""The hook kind mail asks: ``send_mail``, each mail handed to the hooks instead of SMTP
(docs/hooks.md); mail's unit lends it to the hooks (bootstrap/mail.py)."""

from __future__ import annotations

from collections.abc import Mapping

from domain.hooks.auth_hooks import checked_mail_answer
from domain.hooks.kinds import HookKind, answer_only

SEND_MAIL = HookKind[Mapping[str, object]](
    name="send_mail",
    check=answer_only(checked_mail_answer),
    samples={
        "verify_email": {
            "to": "ada@example.com",
            "kind": "verify_email",
            "locale": "en",
            "subject": "Confirm your address",
            "text": "Open https://id.example.com/verify?token=sample to confirm.",
            "html": '<p>Open <a href="https://id.example.com/verify?token=sample">this</a>.</p>',
            "brand": None,
        },
    },
)
