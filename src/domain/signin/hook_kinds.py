"""The hook kinds sign-in asks (docs/hooks.md): ``before_token`` for every token's claims,
``before_sign_in`` at the end of every way in, ``send_sms`` for every text, and
``password_verification`` for a legacy account's password; signin's unit lends them to the
hooks (bootstrap/signin.py)."""

from __future__ import annotations

from collections.abc import Mapping

from domain.hooks.auth_hooks import (
    SignInAnswer,
    checked_claims,
    checked_mail_answer,
    checked_password_verdict,
    checked_sign_in_answer,
)
from domain.hooks.kinds import HookKind

_ADA = {"id": "u_sample", "username": "ada", "email": "ada@example.com"}

BEFORE_TOKEN = HookKind[Mapping[str, object]](
    name="before_token",
    check=checked_claims,
    samples={
        "access": {
            "token_kind": "access",
            "user": _ADA,
            "session": {"id": "s_sample", "amr": ["pwd"]},
            "client": None,
            "org": None,
        },
        "id_token": {
            "token_kind": "id_token",
            "user": _ADA,
            "session": None,
            "client": {"client_id": "c_sample", "name": "Sample app"},
            "org": {"id": "o_sample", "slug": "acme"},
        },
    },
)

SEND_SMS = HookKind[Mapping[str, object]](
    name="send_sms",
    check=checked_mail_answer,
    samples={
        "phone_code": {
            "to": "+33612345678",
            "kind": "phone_code",
            "locale": "en",
            "code": "123456",
            "text": "123456 is your Sample sign-in code.\n\n@id.example.com #123456",
        },
    },
)

BEFORE_SIGN_IN = HookKind[SignInAnswer](
    name="before_sign_in",
    check=checked_sign_in_answer,
    samples={
        "password": {
            "user": _ADA,
            "method": "password",
            "amr": ["pwd"],
            "org": None,
            "client": None,
            "context": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0"},
        },
        "sso": {
            "user": {"id": "u_sample", "username": None, "email": "grace@acme.example"},
            "method": "sso",
            "amr": ["fed"],
            "org": {"id": "o_sample"},
            "client": {"client_id": "c_sample"},
            "context": {"ip": "2001:db8::7", "user_agent": "Mozilla/5.0"},
        },
    },
)

PASSWORD_VERIFICATION = HookKind[bool](
    name="password_verification",
    check=checked_password_verdict,
    samples={
        "legacy_sign_in": {
            "user": {"id": "u_sample", "email": "ada@example.com", "username": "ada"},
            "password": "correct horse battery staple",
        },
    },
)
