"""A second factor: a TOTP authenticator with recovery codes, and the login step it adds.

docs/reference/mfa.md describes the flows; docs/security.md why they are built this way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

# RFC 8176 authentication methods.
PASSWORD, FEDERATED, ONE_TIME_PASSWORD = "pwd", "fed", "otp"
EMAIL = "email"  # a code (or link) mailed to the account's address (docs/reference/email-code.md)
SMS = "sms"  # a code sent by text message to the account's number (RFC 8176)
TOTP = "totp"  # the method a login challenge names
RECOVERY_CODE = "recovery_code"
# What a sign-in's event calls its way in, by its first factor (docs/reference/events.md);
# a single sign-on through an org's connection names itself ("sso").
_METHODS = {
    PASSWORD: "password",
    FEDERATED: "federated",
    "hwk": "passkey",
    "swk": "passkey",
    EMAIL: "email_code",
    SMS: "phone_code",
}
SSO = "sso"


def sign_in_method(amr: tuple[str, ...]) -> str | None:
    """The way in of a session whose authentication methods are ``amr``."""
    return _METHODS.get(amr[0]) if amr else None


RECOVERY_CODES = 10
CHALLENGE_TTL = timedelta(minutes=5)
MAX_WRONG_CODES = 5  # per challenge; the sixth attempt finds it void


@dataclass(frozen=True)
class TotpFactor:
    """One user's authenticator (document ``mfa/{user_id}``).

    ``secret`` is the sealed (encrypted) TOTP secret, never the secret itself. A factor
    starts pending (``active`` false) and becomes active with its first code. An account
    that never had a password holds its recovery codes on a factor with no secret that is
    never active (``codes_only``, docs/decisions/0476-recovery-codes-without-a-password.md).
    """

    user_id: str
    secret: str
    active: bool
    created_at: datetime
    updated_at: datetime
    last_step: int = -1  # the newest TOTP time step accepted: a code works once
    recovery_hashes: tuple[str, ...] = ()

    @classmethod
    def pending(cls, *, user_id: str, sealed_secret: str, now: datetime) -> TotpFactor:
        return cls(
            user_id=user_id, secret=sealed_secret, active=False, created_at=now, updated_at=now
        )

    @classmethod
    def recovery_only(
        cls, *, user_id: str, recovery_hashes: tuple[str, ...], now: datetime
    ) -> TotpFactor:
        return cls(
            user_id=user_id,
            secret="",
            active=False,
            created_at=now,
            updated_at=now,
            recovery_hashes=recovery_hashes,
        )

    @property
    def codes_only(self) -> bool:
        """Recovery codes and no authenticator: they stand in for a missing password."""
        return not self.active and not self.secret

    def fresh_steps(self, steps: tuple[int, ...]) -> tuple[int, ...]:
        """Those of ``steps`` (where a code matched) not at or before an accepted one."""
        return tuple(step for step in steps if step > self.last_step)

    def used_step(self, step: int, now: datetime) -> TotpFactor | None:
        """The factor after accepting a code of ``step``; None for a replay (a code of this
        step or an older one was accepted already)."""
        if not self.active or step <= self.last_step:
            return None
        return replace(self, last_step=step, updated_at=now)

    def activated(self, step: int, recovery_hashes: tuple[str, ...], now: datetime) -> TotpFactor:
        return replace(
            self, active=True, last_step=step, recovery_hashes=recovery_hashes, updated_at=now
        )

    def spent_recovery_code(self, code_hash: str, now: datetime) -> TotpFactor | None:
        """The factor without that recovery code; None if it is not (or no longer) one."""
        if not (self.active or self.codes_only) or code_hash not in self.recovery_hashes:
            return None
        left = tuple(h for h in self.recovery_hashes if h != code_hash)
        return replace(self, recovery_hashes=left, updated_at=now)

    def with_recovery_codes(self, recovery_hashes: tuple[str, ...], now: datetime) -> TotpFactor:
        return replace(self, recovery_hashes=recovery_hashes, updated_at=now)


@dataclass(frozen=True)
class MfaChallenge:
    """The state between a right password and the second factor (``mfa_token``).

    Stored under the SHA-256 of the token, so the token itself exists only in the client.
    """

    token_hash: str
    user_id: str
    login_key: str  # the throttle's account key of the first step (docs/security.md)
    first_factor: tuple[str, ...]  # its RFC 8176 methods, e.g. ("pwd",)
    created_at: datetime
    expires_at: datetime
    device_id: str | None = None  # a device the first step proved, if any
    via: str | None = None  # the identity provider of a federated first step
    guesses: int = 0  # codes tried, each counted before it is compared
    spent_at: datetime | None = None
    spent_by: str | None = None  # a nonce of the request that spent it: it alone goes on
    last_guess: str | None = None  # a nonce of the request whose guess was counted last
    # What the sign-in's event names where its first factor does not say it: an org's
    # connection (method "sso", the connection's id as reason; docs/reference/events.md).
    method: str | None = None
    reason: str | None = None
    org_id: str | None = None  # the org whose connection it came through: its audit log

    @classmethod
    def start(
        cls,
        *,
        token_hash: str,
        user_id: str,
        login_key: str,
        first_factor: tuple[str, ...],
        now: datetime,
        device_id: str | None = None,
        via: str | None = None,
        method: str | None = None,
        reason: str | None = None,
        org_id: str | None = None,
    ) -> MfaChallenge:
        return cls(
            token_hash=token_hash,
            user_id=user_id,
            login_key=login_key,
            first_factor=first_factor,
            created_at=now,
            expires_at=now + CHALLENGE_TTL,
            device_id=device_id,
            via=via,
            method=method,
            reason=reason,
            org_id=org_id,
        )

    def live(self, now: datetime) -> bool:
        """Neither spent nor expired."""
        return self.spent_at is None and now < self.expires_at

    def usable(self, now: datetime) -> bool:
        """Live, with a guess left (five in all: docs/security.md, "MFA")."""
        return self.live(now) and self.guesses < MAX_WRONG_CODES

    def guessed(self, now: datetime, by: str) -> MfaChallenge:
        """One more guess counted for the request ``by``, before its code is compared, so no
        challenge is guessed at more than five times whatever the concurrency; unchanged when
        no guess is left."""
        return replace(self, guesses=self.guesses + 1, last_guess=by) if self.usable(now) else self

    def spent(self, now: datetime, by: str) -> MfaChallenge:
        """Spent by the request ``by`` (whose guess was counted); unchanged if it was no
        longer live (that one lost)."""
        return replace(self, spent_at=now, spent_by=by) if self.live(now) else self
