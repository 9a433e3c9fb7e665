"""A legacy account's password (imported without a hash) checked once by the operator's
``password_verification`` hook against the old system, then stored as firegate's own
(docs/hooks.md, "password_verification"; docs/recipes/legacy-passwords.md;
docs/decisions/0575-legacy-passwords-checked-once.md). Signin asks it through its port
``LegacyPasswords``: the ``Legacy`` part is the migration's (domain/migration/legacy.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.accounts.accounts import UserRepository
from application.hooks.caller import HookResult, KindCaller
from application.ports import Clock, PasswordHasher
from domain.accounts.users import User
from domain.errors import Conflict, PermissionDenied
from domain.ids import new_id
from domain.migration.legacy import Legacy, claimed, migrated, own_password, released

# How long a sign-in holds a legacy account's one hook call: past the longest deadline a hook
# may have (5 s), with room for the hash; a sign-in that dies holding it frees it then.
LEGACY_LEASE = timedelta(seconds=10)
# How often a sign-in that waits on another's call reads the account again, and how many times.
WAIT_STEP = 0.2
WAITS = 60

PASSWORD_VERIFICATION_FAILED = "password_verification_failed"
PASSWORD_CHECK_BUSY = "password_check_busy"


def password_verification_failed() -> PermissionDenied:
    """The hook failed, set to ``on_failure: deny``: the password could not be checked."""
    return PermissionDenied(
        "Your password cannot be checked right now. Try again shortly.",
        code=PASSWORD_VERIFICATION_FAILED,
    )


def _claiming(claim: str, now: datetime) -> Callable[[User], User]:
    return lambda user: claimed(user, claim, now, LEGACY_LEASE)


def _valid(result: HookResult[bool]) -> bool:
    return result.answer is True


@dataclass(frozen=True, kw_only=True, slots=True)
class LegacyPasswordCheck:
    """signin's ``LegacyPasswords``: the typed password of a ``legacy`` account sent to the
    ``password_verification`` hooks, one sign-in per account at a time (a claim on the
    account's document, compare-and-set); ``{"valid": true}`` stores it as argon2id and clears
    ``legacy`` in one write that applies only while the account is still legacy. Sign-ins
    that find the claim held wait for its outcome, then check the stored hash. A password
    set otherwise (a reset, a change) ends the account's legacy as well (``own_password``)."""

    caller: KindCaller[bool]  # the password_verification hooks
    users: UserRepository
    hasher: PasswordHasher
    clock: Clock
    pause: Callable[[float], None] = time.sleep

    def holds(self, user: User) -> bool:
        return user.part(Legacy).is_legacy

    def own_password(self, user: User) -> User:
        return own_password(user)

    def verify(self, user: User, password: str) -> User | None:
        """The account with ``password`` stored when it is the one the old system knew (or
        the one stored meanwhile); None when it is not (a wrong password, a failed hook
        that allows, or no hook to ask). PermissionDenied ``password_verification_failed``
        when a failed hook denies; Conflict ``password_check_busy`` when another sign-in's
        call outlasts the wait.

        With no hook the password cannot be checked: it is a wrong one, for the work of an
        unknown name's (one dummy hash), so nothing tells a legacy account from a name
        nobody has; a reset by mail gives the account a password
        (docs/decisions/0631-a-legacy-account-without-a-hook.md)."""
        if not self.caller.applying():
            self.hasher.verify_dummy(password)  # the work of an unknown name's check
            return None
        claim = new_id()
        found: User | None = user
        for _ in range(WAITS):
            if found is None or found.deleted_at is not None:
                return None
            legacy = found.part(Legacy)
            if not legacy.is_legacy:
                return self._stored(found, password)
            now = self.clock.now()
            held = legacy.claim_until is not None and now < legacy.claim_until
            if not held:
                found = self.users.update(found.id, _claiming(claim, now))
                if found.part(Legacy).claim == claim:
                    return self._asked(found, password, claim)
                continue
            self.pause(WAIT_STEP)
            found = self.users.get(found.id)
        raise Conflict(
            "Another sign-in of this account is being checked. Try again in a moment.",
            code=PASSWORD_CHECK_BUSY,
        )

    def _stored(self, user: User, password: str) -> User | None:
        """The account no longer legacy: its own hash decides."""
        if user.password_hash is None or not self.hasher.verify(user.password_hash, password):
            return None
        return user

    def _asked(self, user: User, password: str, claim: str) -> User | None:
        """The hooks asked, in order, until one vouches for the password; the claim given
        back unless the password is stored."""
        try:
            payload = {
                "user": {
                    "id": user.id,
                    "email": user.email.value if user.email else None,
                    "username": user.username.value if user.username else None,
                },
                "password": password,
            }
            results = self.caller.call_all(payload, until=_valid)
            if any(_valid(result) for result in results):
                new_hash = self.hasher.hash(password)
                now = self.clock.now()
                stored = self.users.update(user.id, lambda u: migrated(u, new_hash, now))
                if stored.password_hash == new_hash:
                    return stored
                # Reset, or moved, meanwhile: the password stored then decides.
                return None if self.holds(stored) else self._stored(stored, password)
        except BaseException:
            self._release(user, claim)
            raise
        self._release(user, claim)
        if any(result.refused for result in results):
            raise password_verification_failed()
        return None  # the old system says no, or a failed hook allows: a wrong password

    def _release(self, user: User, claim: str) -> None:
        self.users.update(user.id, lambda u: released(u, claim))
