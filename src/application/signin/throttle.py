"""The failed-login throttle's port: guesses (passwords, second-factor codes) counted per key
before they are checked (docs/security.md, "Lockout"); the keys a signed-in user's guesses
count against."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from domain.accounts.users import User
from domain.errors import RateLimited
from domain.signin.throttling import FailureRecord, LoginThrottlePolicy, ThrottleRule


@dataclass(frozen=True)
class Reservation:
    """One guess counted on its keys before it is checked (``LoginThrottle.reserve``)."""

    rules: tuple[tuple[str, ThrottleRule], ...]
    before: Mapping[str, FailureRecord | None]  # each key's record before this guess
    after: Mapping[str, FailureRecord]  # and with it
    versions: Mapping[str, object] = field(default_factory=dict)  # the store's, opaque
    later: tuple[tuple[str, ThrottleRule], ...] = ()  # counted only if the guess is wrong

    @property
    def records(self) -> dict[str, FailureRecord]:
        """The records found before this guess (keys with none left out)."""
        return {key: record for key, record in self.before.items() if record is not None}


class LoginThrottle(Protocol):
    """Failed-login counters, shared by every instance of the service.

    A guess (a password, a second-factor code) is counted before it is checked and taken
    back when it proves right, so a burst in parallel gets its budget and no more
    (docs/security.md, "Lockout")."""

    def load(self, keys: Sequence[str]) -> dict[str, FailureRecord]:
        """The records of those ``keys`` that have one, in one round trip."""
        ...

    def reserve(
        self,
        rules: Sequence[tuple[str, ThrottleRule]],
        now: datetime,
        seen: Mapping[str, FailureRecord] | None = None,
    ) -> Reservation:
        """Count one failure against each key under its rule, atomically, unless a key is
        blocked: then RateLimited and nothing counted (also when the counters are too
        contended to update: an attack in progress). ``seen`` is what a read just found for
        these keys, which a store may trust for keys it lacks (no record: none to read)."""
        ...

    def release(self, reservation: Reservation, clear: Sequence[str] = ()) -> None:
        """The guess was right: take its failures back, and forget every failure of the
        keys in ``clear``. Best effort: a release that cannot win its race leaves the
        failure counted (stricter, never laxer)."""
        ...

    def reset(self, key: str) -> None:
        """Forget the failures counted against ``key`` (idempotent)."""
        ...


def account_key(user: User) -> str:
    """What a signed-in account's guesses count against: its username's key, or for a guest,
    which has none, its id (no username has a ':', so the two never meet)."""
    if user.username is not None:
        return user.username.normalized
    return f"guest:{user.id}"


def session_success_keys(
    user: User, session_id: str, client_ip: str, throttle_policy: LoginThrottlePolicy
) -> list[str]:
    """What a signed-in user who proved every factor asked clears: the failures counted
    against this account from this address and against this session."""
    device = f"session:{session_id}"
    return throttle_policy.success_keys(account_key(user), client_ip, device)


def session_rules(
    user: User, session_id: str, client_ip: str, throttle_policy: LoginThrottlePolicy
) -> tuple[tuple[str, ThrottleRule], ...]:
    """The throttle keys of a signed-in user's guesses (password, second-factor code)."""
    return throttle_policy.rules_for(account_key(user), client_ip, f"session:{session_id}")


def reserve_guess(
    throttle: LoginThrottle,
    rules: Sequence[tuple[str, ThrottleRule]],
    now: datetime,
    *,
    refused: Callable[[], None],
    seen: Mapping[str, FailureRecord] | None = None,
) -> Reservation:
    """A guess counted before it is checked on the keys of its account
    (``LoginThrottlePolicy.counted_first``); the address-wide key waits for ``wrong_guess``.
    ``refused`` (to audit the 429) is called before a refusal goes up."""
    first = tuple(rule for rule in rules if LoginThrottlePolicy.counted_first(rule[0]))
    later = tuple(rule for rule in rules if not LoginThrottlePolicy.counted_first(rule[0]))
    try:
        reservation = throttle.reserve(first, now, seen)
    except RateLimited:
        refused()
        raise
    return replace(reservation, later=later)


def wrong_guess(throttle: LoginThrottle, reservation: Reservation, now: datetime) -> None:
    """The guess was wrong: its failure stays counted on its account's keys, and now counts
    on the address-wide key too (where that key is blocked already, nothing more)."""
    if reservation.later:
        with suppress(RateLimited):
            throttle.reserve(reservation.later, now)


@contextmanager
def settled(
    throttle: LoginThrottle, reservation: Reservation, clear: Sequence[str]
) -> Iterator[None]:
    """The guess proved right: whatever the block does, its failure is taken back; the keys
    in ``clear`` are forgotten too when the block completes (the sign-in it guards happened)."""
    completed = False
    try:
        yield
        completed = True
    finally:
        throttle.release(reservation, clear if completed else ())
