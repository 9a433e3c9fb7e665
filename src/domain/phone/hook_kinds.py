"""The hook kind the phone unit asks (docs/hooks.md): ``send_sms``, for every text; the
unit's record lends it to the hooks (bootstrap/phone.py)."""

from __future__ import annotations

from collections.abc import Mapping

from domain.hooks.auth_hooks import checked_mail_answer
from domain.hooks.kinds import HookKind, answer_only

SEND_SMS = HookKind[Mapping[str, object]](
    name="send_sms",
    check=answer_only(checked_mail_answer),
    samples={
        "phone_code": {
            "to": "+33612345678",
            "kind": "phone_code",
            "locale": "en",
            "code": "123456",
            "text": "123456 is your Sample sign-in code.\n\n@id.example.com #123456",
            "brand": None,
        },
    },
)
