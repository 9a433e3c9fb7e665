"""Users: the User entity with its rules, over the values it holds (its username and address:
``domain/accounts/credentials.py``; its profile's names, language and time zone:
``domain/accounts/profile.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from domain.accounts.attributes import AttributeValue, ProfileSchema
from domain.accounts.credentials import Email, Username, credential_given
from domain.accounts.guest.part import GUEST_TTL, Guest
from domain.accounts.guest.refusals import GuestMergeStarted, GuestUpgradeRequired, NotAGuest
from domain.accounts.parts import UserPart
from domain.accounts.profile import (
    PROFILE_TEXTS,
    PersonName,
    check_name,
    locale_given,
    name_given,
    time_zone_given,
)
from domain.errors import InvalidInput
from domain.languages import LOCALES

BREACH_CHECK_INTERVAL = timedelta(days=1)  # a sign-in's check of the password, per account
# What the account's owner edits (PUT/PATCH /user); role and disabled have their own methods.
# ``time_zone`` is a preference of the pages, not a field of the API's user
# (docs/decisions/0262-devices-and-times-as-people-read-them.md).
EDITABLE = frozenset({"username", "email", *PROFILE_TEXTS, "locale", "time_zone"})
# What shows where an account's username would, for a guest, which has none (docs/guests.md)
GUEST_NAME = "guest"


class Role(StrEnum):
    USER = "user"
    UPLOADER = "uploader"
    ADMIN = "admin"


@dataclass(frozen=True)
class BreachCheck:
    """When a sign-in last checked the password against breached ones (None: never), and
    whether it was found there, which asks for a new one (docs/security.md, "Breached
    passwords"). Stored as ``breach_checked_at`` and ``password_breached``."""

    checked_at: datetime | None = None
    breached: bool = False


class Admission(Protocol):
    """The door's word on a new account (``domain.accounts.signups.SignUpVerdict``)."""

    def applied(self, user: User) -> User:
        """The account about to be made, with what the door gives it."""
        ...


@dataclass(frozen=True)
class User:
    id: str
    # None for a guest only: every other account has one (``register``; docs/guests.md)
    username: Username | None
    email: Email | None  # None: an account made without one (no mail flows for it)
    role: Role
    password_hash: str | None
    created_at: datetime
    updated_at: datetime
    name: str | None = None
    last_name: str | None = None
    token_version: int = 0
    disabled: bool = False
    deleted_at: datetime | None = None
    email_verified: bool = False
    # Device tokens carry it; a new one voids every device token issued before
    # (docs/decisions/0104-first-proof-of-address-wins.md).
    device_generation: int = 0
    locale: str | None = None  # one of LOCALES; None: the browser's language
    time_zone: str | None = None  # an IANA name ("Europe/Madrid"); None: the browser's
    # One more on every change of address, so a token sent to an earlier one stays void
    # when the account comes back to that address (docs/security.md, "Action tokens").
    email_version: int = 0
    # False from sign-up until the first sign-in, which is never from a "new device"
    # (docs/decisions/0173-new-device-mail.md).
    has_signed_in: bool = True
    # The whole name, as a source gave it without a given or a family name (``PersonName``)
    full_name: str | None = None
    breach: BreachCheck = BreachCheck()
    # The profile's attributes by name, as written under the profile schema of their time:
    # kept when a schema drops or narrows one (docs/reference/accounts.md, "Profile attributes")
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict, hash=False)
    # What the units keep of the person here: every field of the document that is no core
    # field of its own, as stored; each unit's part reads and writes its own
    # (``part``, ``with_part``; docs/contributing.md, "User parts").
    parts: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.username is None and not self.part(Guest).is_guest:
            raise ValueError("only a guest is without a username")

    @classmethod
    def register(
        cls,
        *,
        id: str,
        username: Username,
        email: Email | None,
        password_hash: str | None,
        now: datetime,
        admitted: Admission,
        name: str | None = None,
        last_name: str | None = None,
        email_verified: bool = False,
        locale: str | None = None,
        full_name: str | None = None,
    ) -> User:
        """A new account, with what the door every new account passes gave it
        (``admitted``: ``Signups``' verdict, a ``SignUpVerdict``, whose names and attributes
        it takes; docs/decisions/0495-one-door-for-every-new-account.md)."""
        check_name("name", name)
        check_name("last_name", last_name)
        check_name("full_name", full_name)
        return admitted.applied(
            cls(
                id=id,
                username=username,
                email=email,
                role=Role.USER,
                password_hash=password_hash,
                created_at=now,
                updated_at=now,
                name=name,
                last_name=last_name,
                email_verified=email_verified and email is not None,
                locale=locale if locale in LOCALES else None,
                has_signed_in=False,
                full_name=full_name,
            )
        )

    @classmethod
    def new_guest(
        cls,
        *,
        id: str,
        now: datetime,
        admitted: Admission,
        ttl: timedelta = GUEST_TTL,
        locale: str | None = None,
    ) -> User:
        """A guest: an account with no address, username or password, made through the door
        every new account passes (``admitted``, as for ``register``), signed in at once, and
        deleted once unused for ``ttl`` (docs/guests.md)."""
        return admitted.applied(
            cls(
                id=id,
                username=None,
                email=None,
                role=Role.USER,
                password_hash=None,
                created_at=now,
                updated_at=now,
                locale=locale if locale in LOCALES else None,
                parts=Guest(is_guest=True, expires_at=now + ttl).stored(id),
            )
        )

    def part[P: UserPart](self, kind: type[P]) -> P:
        """The account's part of this kind, as its fields hold it (its default record when
        the account has none of them)."""
        return kind.read(self.parts)

    def with_part(self, record: UserPart, now: datetime | None = None) -> User:
        """The account with ``record`` as its part of that kind (every field of it written),
        changed at ``now`` (its ``updated_at``; None: left as it is)."""
        parts = {**self.parts, **record.stored(self.id)}
        return replace(self, parts=parts, updated_at=now or self.updated_at)

    def guest_use_to_note(self, now: datetime, ttl: timedelta) -> User | None:
        """The guest with its expiry moved on (``Guest.use_to_note``); None when nothing is
        to be written."""
        noted = self.part(Guest).use_to_note(now, ttl)
        return self.with_part(noted) if noted is not None else None

    def upgraded(
        self,
        *,
        username: Username,
        email: Email | None,
        password_hash: str | None,
        now: datetime,
        admitted: Admission,
        email_verified: bool = False,
    ) -> User:
        """The guest become an account in place (docs/guests.md, "Upgrading in place"): its
        id, sessions and what it owns kept, with the way in it signed up by, and what the
        door every new account passes gave it (``admitted``, as for ``register``). The
        repository's commit takes the new claims, or fails if another account holds one."""
        guest = self.part(Guest)
        if not guest.is_guest or not self.active:
            raise NotAGuest()
        if guest.merging_into is not None:  # its merge takes it (docs/guests.md)
            raise GuestMergeStarted()
        account = replace(
            self,
            username=username,
            email=email,
            email_verified=email_verified and email is not None,
            password_hash=password_hash,
            updated_at=now,
        )
        return admitted.applied(account.with_part(Guest()))  # its use is not counted down

    def signed_up_with_identity(
        self,
        *,
        username: Username,
        email: Email,
        email_verified: bool,
        names: PersonName,
        now: datetime,
        admitted: Admission,
    ) -> User:
        """The guest become the account a sign-up through another provider makes: its
        ``username``, the provider's ``email`` (proven as the provider says) and names, what
        the door every new account passes gave it (``admitted``), ``guest`` ended; its id,
        sessions and devices as they are (docs/guests.md, "Upgrading in place"): an upgrade,
        with the guest's checks every upgrade passes."""
        named = replace(
            self,
            name=names.given if names.given is not None else self.name,
            last_name=names.family if names.family is not None else self.last_name,
            full_name=names.full if names.full is not None else self.full_name,
        )
        return named.upgraded(
            username=username,
            email=email,
            password_hash=self.password_hash,
            now=now,
            admitted=admitted,
            email_verified=email_verified,
        )

    def signed_up(self) -> User:
        """The account, whose person changes its ways in; GuestUpgradeRequired (403) for a
        guest, which takes its first ones only with its upgrade (``upgraded``)."""
        if self.part(Guest).is_guest:
            raise GuestUpgradeRequired()
        return self

    @property
    def shown_name(self) -> str:
        """The account's username as people read it; ``GUEST_NAME`` for a guest, which has
        none. Never a key: a guest's claims, throttles and logins have no username."""
        return self.username.value if self.username is not None else GUEST_NAME

    @property
    def whole_name(self) -> str | None:
        """The name the person goes by in full: the given and the family name, else the whole
        name a source gave alone."""
        return " ".join(part for part in (self.name, self.last_name) if part) or self.full_name

    def named(self, names: PersonName, now: datetime) -> User:
        """The account under the name its org's directory now gives it (an account the org
        manages); the same account when that is its name already."""
        if (self.name, self.last_name, self.full_name) == (names.given, names.family, names.full):
            return self
        return replace(
            self, name=names.given, last_name=names.family, full_name=names.full, updated_at=now
        )

    @property
    def active(self) -> bool:
        """May this account authenticate at all?"""
        return not self.disabled and self.deleted_at is None

    def edited(self, changes: Mapping[str, object], now: datetime) -> User:
        """The user with ``changes`` (username and email as str or value objects; the
        profile's texts a str or None)."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise InvalidInput.field(sorted(unknown)[0], "Not an editable field.", "unknown_field")
        user = self
        if "username" in changes:
            user = replace(
                user, username=credential_given(Username, "username", changes["username"])
            )
        if "email" in changes:
            email = credential_given(Email, "email", changes["email"])
            if user.email is None or email.normalized != user.email.normalized:
                # A new address is unproven until its own verification mail is answered.
                user = replace(
                    user,
                    email=email,
                    email_verified=False,
                    email_version=user.email_version + 1,
                )
            else:
                user = replace(user, email=email)
        user = user.with_texts({text: changes[text] for text in PROFILE_TEXTS if text in changes})
        if "locale" in changes:
            user = replace(user, locale=locale_given(changes["locale"]))
        if "time_zone" in changes:
            user = replace(user, time_zone=time_zone_given(changes["time_zone"]))
        return replace(user, updated_at=now)

    def with_texts(self, texts: Mapping[str, object]) -> User:
        """The user with these of the profile's texts (each a str or None), checked."""
        unknown = set(texts) - set(PROFILE_TEXTS)
        if unknown:
            raise InvalidInput.field(
                sorted(unknown)[0], "Not a text of the profile.", "unknown_field"
            )
        checked: dict[str, Any] = {text: name_given(text, value) for text, value in texts.items()}
        return replace(self, **checked)

    def with_attributes(
        self, schema: ProfileSchema, changes: Mapping[str, object], writer: str, now: datetime
    ) -> User:
        """The user with ``changes`` to its attributes (a null removes one) written by
        ``writer`` (``user``, ``admin``, ...) under ``schema``; the same user for none."""
        if not changes:
            return self
        values = schema.written(self.attributes, changes, writer)
        return replace(self, attributes=values, updated_at=now)

    def texts(self) -> dict[str, str | None]:
        """The profile's texts, by their names (``PROFILE_TEXTS``' order)."""
        texts: dict[str, str | None] = {text: getattr(self, text) for text in PROFILE_TEXTS}
        return texts

    def with_password_hash(self, password_hash: str, now: datetime) -> User:
        """A new password, checked against breached ones where it was set (a legacy one
        ends with it: ``LegacyPasswords.own_password``, application/signin/ports.py)."""
        return replace(
            self,
            password_hash=password_hash,
            updated_at=now,
            breach=BreachCheck(now),
        )

    def rehashed(self, password_hash: str, now: datetime) -> User:
        """The same password under today's hash parameters."""
        return replace(self, password_hash=password_hash, updated_at=now)

    @property
    def password_change_required(self) -> bool:
        """A sign-in found the password breached: every session is asked for a new one."""
        return self.breach.breached and self.password_hash is not None

    def breach_check_due(self, now: datetime) -> bool:
        """A sign-in checks the password against breached ones at most once a day."""
        checked = self.breach.checked_at
        return checked is None or now - checked >= BREACH_CHECK_INTERVAL

    def with_breach_check(self, breached: bool, now: datetime) -> User:
        return replace(self, breach=BreachCheck(now, breached))

    def without_password(self, now: datetime) -> User:
        return replace(self, password_hash=None, updated_at=now)

    def with_email_verified(self, now: datetime) -> User:
        if self.email is None:
            raise InvalidInput.field("email", "The account has no e-mail address.", "no_email")
        return replace(self, email_verified=True, updated_at=now)

    def with_email_verified_as(self, verified: bool, now: datetime) -> User:
        """The address marked as an identity provider reports it, verified or not."""
        if verified:
            return self.with_email_verified(now)
        return replace(self, email_verified=False, updated_at=now)

    def with_role(self, role: Role, now: datetime) -> User:
        return replace(self, role=role, updated_at=now)

    def with_disabled(self, disabled: bool, now: datetime) -> User:
        """Disabling ends every session for good: enabling again brings none of them back,
        a thief's included; the owner logs in anew."""
        user = replace(self, disabled=disabled, updated_at=now)
        return user.ending_all_sessions(now) if disabled and not self.disabled else user

    def ending_all_sessions(self, now: datetime) -> User:
        """Bump the version every session was minted at, so all of them stop working."""
        return replace(self, token_version=self.token_version + 1, updated_at=now)

    def signing_in(self) -> User:
        """The account once it has signed in: its later sign-ins may be from new devices."""
        return replace(self, has_signed_in=True)

    def forgetting_devices(self, now: datetime) -> User:
        """Void every device token issued so far: none exempts a login any more."""
        return replace(self, device_generation=self.device_generation + 1, updated_at=now)

    def reset_through_mail(self, password_hash: str, now: datetime) -> User:
        """The account after a password reset through the link mailed to its address: the
        new password, every session ended, and the address proven (the mail reached it).
        The first proof of the address also forgets every device: whoever set the account
        up did not prove it (docs/decisions/0104-first-proof-of-address-wins.md)."""
        user = self.with_password_hash(password_hash, now).ending_all_sessions(now)
        if not self.email_verified:
            user = user.forgetting_devices(now)
        return user.with_email_verified(now)

    def claimable_with(self, email: Email) -> bool:
        """May whoever proves ``email`` elsewhere (a verified Firebase sign-in) take this
        account? Only while it holds that address unproven, and is neither disabled nor
        deleted (docs/decisions/0104-first-proof-of-address-wins.md)."""
        return (
            self.active
            and not self.email_verified
            and self.email is not None
            and self.email.normalized == email.normalized
        )

    def claimed(self, now: datetime) -> User:
        """The account handed to whoever proved its address: no password (a reset sets
        one), the address proven, every session ended and every device forgotten."""
        user = self.ending_all_sessions(now).forgetting_devices(now)
        return replace(user, password_hash=None).with_email_verified(now)


def holding(user: User | None, key: str) -> User | None:
    """``user`` when its address still makes ``key`` (``address_key``); None when the claim
    that named it was made under an older rule (``bob@glaß-x.net``'s folded onto
    ``bob@glass-x.net``): such a claim names another address than the one asked for
    (docs/security.md, "One address, one account"). Username keys are taken as they are."""
    if user is None or "@" not in key:
        return user
    return user if user.email is not None and user.email.normalized == key else None
