"""TOTP with pyotp (RFC 6238: SHA-1, 6 digits, 30-second steps)."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

SKEW_STEPS = 1  # a code of the step before or after the current one is accepted too


class PyotpOneTimePasswords:
    def new_secret(self) -> str:
        return pyotp.random_base32()  # 32 base32 characters: 160 bits

    def provisioning_uri(self, secret: str, *, account: str, issuer: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)

    def matching_steps(self, secret: str, code: str, now: datetime) -> tuple[int, ...]:
        totp = pyotp.TOTP(secret)
        current = totp.timecode(now)
        return tuple(
            current + offset
            for offset in range(-SKEW_STEPS, SKEW_STEPS + 1)
            if hmac.compare_digest(totp.at(now, counter_offset=offset), code)
        )
