"""The ports the signin room calls out through: the ``before_token`` and ``before_sign_in``
hooks (docs/hooks.md), and a phone number's parsing and its texts' budget
(docs/reference/phone.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from application.hooks.caller import KindCaller
from application.hooks.hooked import SignInCheckHook, TokenClaimsHook
from domain.accounts.users import User
from domain.hooks.before_sign_in import SignInHookRequest, SignInVerdict
from domain.hooks.before_token import TokenHookRequest
from domain.signin.hook_kinds import BEFORE_SIGN_IN, BEFORE_TOKEN
from domain.signin.phone_numbers import PhoneNumber


class TokenHook(Protocol):
    def before_token(self, request: TokenHookRequest) -> Mapping[str, object]:
        """The claims to add to the token ``request`` describes, already checked ({}: none)."""
        ...


# No hook: every token carries firegate's claims only (the hooks' one "no hook":
# ``KindCaller`` without a caller).
NO_TOKEN_HOOK: TokenHook = TokenClaimsHook(caller=KindCaller(BEFORE_TOKEN))


class SignInHook(Protocol):
    def active(self) -> bool:
        """Whether a ``before_sign_in`` hook is set (else no payload is built)."""
        ...

    def before_sign_in(self, request: SignInHookRequest) -> SignInVerdict:
        """What the ``before_sign_in`` hooks say of the sign-in ``request`` describes."""
        ...


# No hook: every sign-in goes on, its session with no claims of a hook's.
NO_SIGN_IN_HOOK: SignInHook = SignInCheckHook(caller=KindCaller(BEFORE_SIGN_IN))


class LegacyPasswords(Protocol):
    """A ``legacy`` account's password, which firegate has no hash of, checked by the
    ``password_verification`` hook (docs/hooks.md): the migration's rules
    (application/migration/legacy_passwords.py)."""

    def holds(self, user: User) -> bool:
        """Is the account's password still the old system's (a ``legacy`` one)?"""
        ...

    def verify(self, user: User, password: str) -> User | None:
        """The account with ``password`` stored as its own when it is right; None when it is
        wrong (or the hook failed and allows)."""
        ...

    def own_password(self, user: User) -> User:
        """The account whose password is its own now, however it was set (a reset, a
        change): no legacy one any more."""
        ...


class NoLegacyPasswords:
    """No legacy accounts (no migration to check them; the tests of one room): none holds,
    none is ever right. Not a "no hook": with the migration's check and no
    password_verification hook, a legacy account holds, and its password is wrong."""

    def holds(self, user: User) -> bool:
        return False

    def verify(self, user: User, password: str) -> User | None:
        return None

    def own_password(self, user: User) -> User:
        return user


NO_LEGACY_PASSWORDS: LegacyPasswords = NoLegacyPasswords()


class PhoneNumbers(Protocol):
    """Parses and classifies a number as typed (docs/reference/phone.md)."""

    def parse(self, typed: str, *, region: str | None = None) -> PhoneNumber:
        """The number ``typed`` (in ``region``'s national form when it has no ``+``);
        InvalidInput ``invalid_phone_number`` or ``phone_number_type``."""
        ...

    def international(self, e164: str) -> str:
        """The number as people write it, in its international format (``+33 6 12 34 56 78``);
        ``e164`` as it is where it cannot be read."""
        ...


class SmsBudget(Protocol):
    """What an SMS may cost: spends one from the number's prefix's hourly budget."""

    def crowded(self, number: PhoneNumber) -> bool:
        """Whether ``number``'s prefix has sent half its budget this hour, as this process
        last counted it (no read): its requests then ask for a challenge."""
        ...

    def spend(self, number: PhoneNumber, *, held: bool) -> None:
        """One text to ``number`` (``held``: an account has it); RateLimited ``sms_budget``
        (with its retry_after) when over the budget, past the share left to numbers without
        an account, or when SMS_ENABLED is false; records firegate_sms_refused_total."""
        ...
