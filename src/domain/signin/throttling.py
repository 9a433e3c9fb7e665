"""Throttling of failed logins: failures counted per key block it for a growing, capped time."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import RateLimited
from domain.request_limits import client_scope

_MAX_DOUBLINGS = 30  # keeps 2**n finite however long an attacker goes on; the cap applies first


@dataclass(frozen=True)
class ThrottleRule:
    """``max_failures`` inside ``window`` block a key for ``backoff``; every further failure
    within a window after a block ends blocks it again at once, for twice as long, up to
    ``max_backoff``. A key quiet for a whole window after its block starts from zero."""

    max_failures: int
    window: timedelta
    backoff: timedelta
    max_backoff: timedelta

    def block_length(self, strikes: int) -> timedelta:
        doublings: int = min(strikes - 1, _MAX_DOUBLINGS)
        return min(self.backoff * (1 << doublings), self.max_backoff)


@dataclass(frozen=True)
class FailureRecord:
    """The failures counted against one key, and the block they caused, if any."""

    failures: int
    window_start: datetime
    blocked_until: datetime | None = None
    strikes: int = 0  # blocks in a row, each twice as long as the one before

    @classmethod
    def first(cls, now: datetime, rule: ThrottleRule) -> FailureRecord:
        return cls(failures=0, window_start=now)._counted(now, rule)

    def blocked(self, now: datetime) -> bool:
        return self.blocked_until is not None and now < self.blocked_until

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the block ends (at least 1)."""
        if self.blocked_until is None:
            return 1
        return max(1, math.ceil((self.blocked_until - now).total_seconds()))

    def after_failure(self, now: datetime, rule: ThrottleRule) -> FailureRecord:
        if self.blocked(now):
            return self  # a request that passed the check before the block began
        if self.blocked_until is not None:
            if now < self.blocked_until + rule.window:
                return self._block(now, rule, self.strikes + 1)
            return FailureRecord.first(now, rule)  # quiet for a whole window: forgiven
        if now >= self.window_start + rule.window:
            return FailureRecord.first(now, rule)
        return self._counted(now, rule)

    def expires_at(self, rule: ThrottleRule) -> datetime:
        """When this record stops mattering (a Firestore TTL policy may delete it then)."""
        end = self.blocked_until or self.window_start
        return end + rule.window

    def _counted(self, now: datetime, rule: ThrottleRule) -> FailureRecord:
        failures = self.failures + 1
        if failures >= rule.max_failures:
            return FailureRecord(failures, now, now + rule.block_length(1), strikes=1)
        return FailureRecord(failures, self.window_start)

    def _block(self, now: datetime, rule: ThrottleRule, strikes: int) -> FailureRecord:
        return FailureRecord(
            self.failures + 1, now, now + rule.block_length(strikes), strikes=strikes
        )


TOO_MANY_LOGIN_FAILURES = "too_many_login_failures"


def refusal(records: Mapping[str, FailureRecord], now: datetime) -> RateLimited | None:
    """The 429 owed to a guess when any of its keys is blocked, or None."""
    blocks = [record for record in records.values() if record.blocked(now)]
    if not blocks:
        return None
    return RateLimited(
        "Too many failed logins; try again later.",
        retry_after=max(record.retry_after(now) for record in blocks),
        code=TOO_MANY_LOGIN_FAILURES,
    )


def released(
    current: FailureRecord | None, before: FailureRecord | None, after: FailureRecord
) -> FailureRecord | None:
    """A key's record once a guess counted on it in advance (``before`` -> ``after``) proved
    right: exactly ``before`` when nothing else counted since; one failure fewer when others
    counted since in the same window and block; else as it is (stricter, never laxer)."""
    if current == after:
        return before
    if (
        current is not None
        and current.failures > 0
        and current.window_start == after.window_start
        and current.blocked_until == after.blocked_until
    ):
        return replace(current, failures=current.failures - 1)
    return current


FIFTEEN_MINUTES = timedelta(minutes=15)


def _rule(max_failures: int) -> ThrottleRule:
    return ThrottleRule(max_failures, FIFTEEN_MINUTES, timedelta(minutes=1), FIFTEEN_MINUTES)


PER_ACCOUNT_IP, PER_ACCOUNT, PER_IP, PER_DEVICE = _rule(10), _rule(100), _rule(50), _rule(10)


@dataclass(frozen=True)
class LoginThrottlePolicy:
    """Which keys a failed login counts against, and the rule of each.

    ``per_account_ip`` is the tight one: an attacker hammering one account from one address
    is blocked without locking the owner out elsewhere. ``per_account`` is a looser ceiling
    against guessing one account from many addresses; ``per_ip`` against one address trying
    many accounts. The account is the login name as typed (normalized), known or not, so a
    429 never tells whether an account exists, nor which username and e-mail belong together.

    Anybody can trip ``per_account`` from enough addresses, so a client that proves it signed
    in to the account before (a device token, or the session of a signed-in user) is judged
    by ``per_device`` in its place: its own small budget, which an attacker cannot spend.
    """

    per_account_ip: ThrottleRule = PER_ACCOUNT_IP
    per_account: ThrottleRule = PER_ACCOUNT
    per_ip: ThrottleRule = PER_IP
    per_device: ThrottleRule = PER_DEVICE

    def rules_for(
        self, login: str, client_ip: str, device: str | None = None
    ) -> tuple[tuple[str, ThrottleRule], ...]:
        """The keys and rules of a login; ``device`` names a proven device of the account."""
        scope = client_scope(client_ip)
        account = (
            (f"account:{login}", self.per_account)
            if device is None
            else (self.device_key(device), self.per_device)
        )
        return (
            (self.success_key(login, client_ip), self.per_account_ip),
            account,
            (f"ip:{scope}", self.per_ip),
        )

    def success_keys(self, login: str, client_ip: str, device: str | None = None) -> list[str]:
        """The keys a successful login clears: this account from this address, and the
        device it signed in from (the account-wide and address-wide counters keep counting
        for an attacker who also holds one valid password)."""
        keys = [self.success_key(login, client_ip)]
        if device is not None:
            keys.append(self.device_key(device))
        return keys

    def success_key(self, login: str, client_ip: str) -> str:
        return f"account_ip:{login}|{client_scope(client_ip)}"

    @staticmethod
    def device_key(device: str) -> str:
        return f"device:{device}"

    @staticmethod
    def counted_first(key: str) -> bool:
        """Whether a guess counts on ``key`` before it is checked: the keys of one account
        do; the address-wide key does not. Every account signing in from one shared address
        (an office, a proxy) would write it twice per sign-in, a document all of them contend
        for; wrong guesses alone count there, after the check."""
        return not key.startswith("ip:")
