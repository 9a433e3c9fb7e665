"""An account's links from external identities (a Firebase account, an upstream provider's),
and the rule that an account always keeps a way to sign in (docs/reference/identities.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Self

from domain.accounts.users import User
from domain.errors import Conflict, InvalidInput, NotFound

# A phone number as stored: E.164, "+" and at most 15 digits (docs/reference/phone.md)
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def e164(number: str, field: str = "phone_number") -> str:
    """``number`` when it is in E.164; InvalidInput (``invalid_phone_number``) otherwise."""
    if not E164.fullmatch(number):
        raise InvalidInput.field(
            field, "A phone number in E.164: + and digits.", "invalid_phone_number"
        )
    return number


@dataclass(frozen=True)
class PhoneNumber:
    """A number in E.164, and whether a code texted there was entered: a proven number is
    one account's only, as an address is (its claim; docs/reference/phone.md)."""

    number: str | None = None
    verified: bool = False

    @classmethod
    def proven_as(cls, number: str) -> PhoneNumber:
        """``number`` (E.164), proven by a code texted there: the repository's commit takes
        its claim, or fails if another account holds it."""
        return cls(e164(number), verified=True)

    @property
    def proven(self) -> str | None:
        """The number the account holds as its own (its claim), if it has a proven one."""
        return self.number if self.verified else None

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> Self:
        return cls(stored.get("phone_number"), stored.get("phone_number_verified", False))

    def stored(self, user_id: str) -> dict[str, Any]:
        return {"phone_number": self.number, "phone_number_verified": self.verified}

    @classmethod
    def imported(cls, line: Mapping[str, Any]) -> Self:
        """A number as Firebase and ``users export`` keep it: E.164, taken as it is (its
        type is asked when a code is sent to it), proven unless ``phone_number_verified`` is
        false: it claims nothing until proven here
        (docs/decisions/0538-imported-phone-numbers-are-proven.md)."""
        number = line.get("phone_number")
        if number is None:
            return cls()
        if not isinstance(number, str):
            raise InvalidInput.field("phone_number", "Must be a string.", "string_type")
        return cls(e164(number), verified=line.get("phone_number_verified", True) is not False)

    def exported(self) -> dict[str, Any]:
        return {"phone_number": self.number, "phone_number_verified": self.verified}

    def shown(self) -> tuple[tuple[str, str], ...]:
        return ()


@dataclass(frozen=True)
class IdentityLink:
    """The identity ``subject`` at ``provider`` signs in to ``user_id``'s account; ``email``
    is the address the provider gave when it was linked (None: none, or linked before links
    kept it)."""

    provider: str
    subject: str
    user_id: str
    email: str | None
    linked_at: datetime
    # The link made the account, with an address the provider did not verify (rule 5): the
    # first proof of that address by anyone not signed in through it takes the account from
    # it (docs/decisions/0335-a-non-verifying-providers-account-and-the-first-proof.md).
    made_unproven: bool = False


def made_unproven_by(links: Sequence[IdentityLink], user: User) -> IdentityLink | None:
    """The link that made ``user``'s account with its current address unproven, while it is
    unproven; None otherwise."""
    if user.email_verified or user.email is None:
        return None
    address = user.email.normalized
    return next(
        (
            link
            for link in links
            if link.made_unproven and (link.email or "").strip().lower() == address
        ),
        None,
    )


def unlinking(
    user: User, links: Sequence[IdentityLink], provider: str, passkeys: int
) -> list[IdentityLink]:
    """The account's links to ``provider``, which may go: NotFound when it has none;
    Conflict (last_sign_in_method) when the account would be left with no way to sign in:
    no password, no passkey and no other identity."""
    going = [link for link in links if link.provider == provider]
    if not going:
        raise NotFound("No identity of this provider is linked.", code="identity_not_found")
    keep_a_way_in(user, passkeys=passkeys, identities=len(links) - len(going))
    return going


def passkey_removal(user: User, passkeys: int, links: Sequence[IdentityLink]) -> None:
    """Whether one of the account's ``passkeys`` (counted with it) may go: Conflict
    (last_sign_in_method) when it is the last way to sign in, as ``unlinking``'s."""
    keep_a_way_in(user, passkeys=passkeys - 1, identities=len(links))


def keep_a_way_in(user: User, *, passkeys: int, identities: int) -> None:
    """The one rule both removals follow: after it, the account keeps a password, a passkey
    or an identity; Conflict (last_sign_in_method) otherwise. Each removal decides on the
    account, its passkeys and its links read after it, and commits under the account's
    update time, which each removal moves: two removals cannot both take the last two."""
    if user.password_hash is None and passkeys <= 0 and identities <= 0:
        raise Conflict(
            "This is the account's last way to sign in: set a password or add a passkey first.",
            code="last_sign_in_method",
        )


def phone_removal(user: User, *, passkeys: int, identities: int, now: datetime) -> User:
    """The account without its phone number: NotFound (phone_number_not_found) when it has
    none; Conflict (last_sign_in_method) when the number is its last way in: no password,
    no address, no passkey and no identity
    (docs/decisions/0535-a-number-that-is-the-last-way-in-stays.md)."""
    if user.part(PhoneNumber).number is None:
        raise NotFound("The account has no phone number.", code="phone_number_not_found")
    if user.email is None:  # an address signs in by a mailed code, or sets a password
        keep_a_way_in(user, passkeys=passkeys, identities=identities)
    return user.with_part(PhoneNumber(), now)  # its claim released


PENDING_FOR = timedelta(minutes=10)  # a pending link's life: a sign-in, its second step


@dataclass(frozen=True)
class PendingLink:
    """An identity waiting to be linked to an account its holder signs in to (rule 3 of
    docs/reference/identities.md): what the provider said of it, held under the hash of a
    secret only the browser that came back from the provider keeps."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    display_name: str | None
    provider_name: str  # as people know it: "GitHub"
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return now < self.expires_at


def linked_to(user: User, now: datetime) -> User:
    """The account as a link to it is made or removed: its update time moves, so link changes
    to one account are made one after the other (each guarded by the time it read)."""
    return replace(user, updated_at=now)
