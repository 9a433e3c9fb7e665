"""The e-mail channel of the one code flow (domain/signin/codes/flows.py), by the names its callers
and stored flows know (docs/reference/email-code.md)."""

from __future__ import annotations

from datetime import datetime

from domain.signin.codes.flows import (
    ADDRESS_REQUESTS_PER_HOUR,
    CODE_DIGITS,
    EMAIL_CODE_RATE_LIMITED,
    FLOW_LIFETIME,
    MAX_GUESSES,
    REQUEST_GAP,
    REQUESTS_PER_HOUR,
    Channel,
    CodeFlow,
    code_hash,
    code_of,
    secret_hash,
)
from domain.signin.codes.flows import CodeRequests as EmailCodeRequests

__all__ = [
    "ADDRESS_REQUESTS_PER_HOUR",
    "CODE_DIGITS",
    "EMAIL_CODE_RATE_LIMITED",
    "FLOW_LIFETIME",
    "MAX_GUESSES",
    "REQUESTS_PER_HOUR",
    "REQUEST_GAP",
    "EmailCodeFlow",
    "EmailCodeRequests",
    "code_hash",
    "code_of",
    "secret_hash",
]


class EmailCodeFlow(CodeFlow):
    """A flow of the e-mail channel, started for an address."""

    @classmethod
    def start(
        cls, *, id: str, email: str, now: datetime, browser_hash: str | None, locale: str | None
    ) -> EmailCodeFlow:
        return cls(
            id=id,
            to=email,
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
            browser_hash=browser_hash,
            locale=locale,
            channel=Channel.EMAIL,
        )
