"""One user of an import file, as the account it becomes: a ``firebase auth:export`` user or
a line of firegate's JSON Lines (docs/migrating.md). Every field is checked by the rules
of a sign-up (usernames with their look-alikes, addresses, names); a bad one is
InvalidInput, which the import reports and skips."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from application.accounts.signups import SignUp, SignUpWay
from application.federation.linking import username_candidates
from application.migration.ports import FIREBASE, ImportedUser, Link
from domain.accounts.attributes import ProfileSchema
from domain.accounts.credentials import Email, Username
from domain.accounts.guest.part import GUEST_TTL
from domain.accounts.identities import PhoneNumber, e164
from domain.accounts.parts import UserPart
from domain.accounts.password_hashes import FirebaseScrypt, firebase_user_hash, stored_hash
from domain.accounts.profile import PROFILE_TEXTS, PersonName, check_name
from domain.accounts.signups import SignUpVerdict
from domain.accounts.users import Role, User
from domain.errors import InvalidInput
from domain.ids import is_id, new_id

MAX_LINKS = 20  # linked identities of one user (Firebase allows far fewer providers)


@dataclass(frozen=True)
class Reading:
    """What turns a record into an account: the Firebase project's hash parameters (None:
    not given), the upstream providers configured here, the address rule a sign-up follows
    (``AddressRule.new``), and the door every new account passes (``Signups.admit``: the
    domain lists and the operator's hook; a refusal fails the record)."""

    firebase: FirebaseScrypt | None
    providers: frozenset[str]
    check_address: Callable[[str], Email]
    now: datetime
    schema: ProfileSchema  # the attributes' (docs/reference/accounts.md, Profile attributes)
    admit: Callable[[SignUp], SignUpVerdict]
    guest_ttl: timedelta = GUEST_TTL  # an imported guest's, from the import (GUEST_TTL)
    # The user parts of the service: their columns of a line (docs/contributing.md)
    parts: Sequence[type[UserPart]] = ()


@dataclass(frozen=True)
class Incoming:
    """An arrival, and, for a Firebase user, the usernames to try in turn (none fixed)."""

    arrival: ImportedUser
    names: Iterator[Username] | None = None  # None: the record's own username
    id_given: bool = True


def _invalid(field: str, message: str, code: str) -> InvalidInput:
    return InvalidInput.field(field, message, code)


def _text(raw: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _invalid(key, "Must be a string.", "string_type")
    return value


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise _invalid(key, "Must be true or false.", "boolean_type")
    return value


def _user_id(value: str | None) -> str:
    if value is None or not is_id(value):
        raise _invalid("id", "An id of 1-64 letters, digits, '-' and '_'.", "invalid_id")
    return value


def _address(value: str | None, reading: Reading) -> Email | None:
    if value is None:
        return None
    return reading.check_address(value)


def _phone_number(raw: Mapping[str, Any], key: str) -> str | None:
    """A number as Firebase keeps it: E.164, taken as it is (its type is asked when a code
    is sent to it; docs/decisions/0538-imported-phone-numbers-are-proven.md)."""
    value = _text(raw, key)
    return e164(value, key) if value is not None else None


def _account(
    user_id: str,
    username: Username,
    email: Email | None,
    *,
    password_hash: str | None,
    email_verified: bool,
    role: Role,
    disabled: bool,
    created_at: datetime | None,
    texts: Mapping[str, str | None],
    reading: Reading,
    full_name: str | None = None,
) -> User:
    """``texts``: the profile's, each checked already, as every other field: the door every
    new account passes is asked last."""
    verdict = reading.admit(SignUp(SignUpWay.IMPORT, email, username=username.value))
    # Not yet signed in here: the first sign-in is no "new device" (docs/decisions/0173).
    user = User.register(
        id=user_id,
        username=username,
        email=email,
        password_hash=password_hash,
        now=reading.now,
        admitted=verdict,
        email_verified=email_verified,
        full_name=full_name,
    )
    # The file's texts where the hook gave none.
    user = user.with_texts({text: getattr(user, text) or value for text, value in texts.items()})
    return replace(user, role=role, disabled=disabled, created_at=created_at or reading.now)


# -- firebase auth:export ----------------------------------------------------------------------


def _firebase_role(raw: Mapping[str, Any]) -> Role:
    """``customAttributes`` (a JSON text in the export) ``{"role": …}``: a role of firegate's,
    else the plain user role (the claims of a project's own scheme are not firegate's)."""
    attributes = raw.get("customAttributes")
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError:
            raise _invalid(
                "customAttributes", "Not a JSON object.", "invalid_custom_attributes"
            ) from None
    role = attributes.get("role") if isinstance(attributes, dict) else None
    return Role(role) if role in set(Role) else Role.USER


def _firebase_time(raw: Mapping[str, Any], key: str) -> datetime | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        raise _invalid(key, "Milliseconds since 1970.", "invalid_time") from None


def _provider_of(firebase_provider: str, providers: frozenset[str]) -> str | None:
    """The provider configured here for a Firebase one: its id as Firebase names it
    ("google.com") or without its domain ("google")."""
    for name in (firebase_provider, firebase_provider.removesuffix(".com")):
        if name in providers:
            return name
    return None


def _firebase_links(raw: Mapping[str, Any], user_id: str, providers: frozenset[str]) -> list[Link]:
    links = [Link(FIREBASE, user_id)]
    infos = raw.get("providerUserInfo") or []
    if not isinstance(infos, list):
        raise _invalid("providerUserInfo", "Must be a list.", "list_type")
    for info in infos[:MAX_LINKS]:
        if not isinstance(info, dict):
            continue
        provider = _provider_of(str(info.get("providerId", "")), providers)
        subject = info.get("rawId")
        if provider is not None and isinstance(subject, str) and subject:
            email = info.get("email")
            links.append(Link(provider, subject, email if isinstance(email, str) else None))
    return links


def anonymous(raw: Mapping[str, Any]) -> bool:
    """Whether a Firebase user is an anonymous one: no address, password, phone number or
    provider's identity (Firebase's own export says no more of it)."""
    return not any(raw.get(key) for key in ("email", "passwordHash", "phoneNumber")) and not (
        raw.get("providerUserInfo") or []
    )


def _firebase_guest(raw: Mapping[str, Any], user_id: str, reading: Reading) -> Incoming:
    """An anonymous Firebase user as a guest keeping its uid (docs/guests.md): its Firebase
    identity linked, so its next ``POST /auth/firebase`` signs the guest in; no username to
    find (a later import leaves the account's as it is); the import's time its last use."""
    verdict = reading.admit(SignUp(SignUpWay.IMPORT, None))
    user = User.new_guest(id=user_id, now=reading.now, admitted=verdict, ttl=reading.guest_ttl)
    user = replace(
        user,
        role=_firebase_role(raw),
        disabled=_flag(raw, "disabled"),
        created_at=_firebase_time(raw, "createdAt") or reading.now,
    )
    return Incoming(ImportedUser(user, (Link(FIREBASE, user_id),)), names=iter(()))


def from_firebase(raw: Mapping[str, Any], reading: Reading) -> Incoming:
    """A ``firebase auth:export`` user: its ``localId`` is its id, its Firebase identity
    linked, a username made from its display name or address, its ``phoneNumber`` (proven
    by Firebase's code) its proven number; an anonymous user a guest."""
    user_id = _user_id(_text(raw, "localId"))
    if anonymous(raw):
        return _firebase_guest(raw, user_id, reading)
    email = _address(_text(raw, "email"), reading)
    display = _text(raw, "displayName")
    hashed, salt = _text(raw, "passwordHash"), _text(raw, "salt")
    password_hash = None
    if hashed:
        password_hash = firebase_user_hash(hashed, salt or "", reading.firebase)
    phone_number = _phone_number(raw, "phoneNumber")
    names = username_candidates(display, email.value if email else None)
    first = next(names)
    user = _account(
        user_id,
        first,
        email,
        password_hash=password_hash,
        email_verified=_flag(raw, "emailVerified"),
        role=_firebase_role(raw),
        disabled=_flag(raw, "disabled"),
        created_at=_firebase_time(raw, "createdAt"),
        texts={},
        reading=reading,
    )
    if phone_number is not None:  # proven by Firebase's code, proven here too (its claim)
        user = user.with_part(PhoneNumber.proven_as(phone_number))
    # Firebase keeps one display name: the whole name, never a given name
    user = user.named(PersonName.of(None, None, display), user.updated_at)
    links = tuple(_firebase_links(raw, user_id, reading.providers))
    return Incoming(ImportedUser(user, links), names=names)


# -- firegate's JSON Lines ---------------------------------------------------------------------


def _iso_time(raw: Mapping[str, Any], key: str) -> datetime | None:
    value = _text(raw, key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(key, "An ISO 8601 time.", "invalid_time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _links(raw: Mapping[str, Any], providers: frozenset[str]) -> list[Link]:
    items = raw.get("identities") or []
    if not isinstance(items, list) or len(items) > MAX_LINKS:
        raise _invalid("identities", f"A list of at most {MAX_LINKS}.", "invalid_identities")
    links = []
    for item in items:
        provider = item.get("provider") if isinstance(item, dict) else None
        subject = item.get("subject") if isinstance(item, dict) else None
        if not isinstance(provider, str) or not isinstance(subject, str) or not subject:
            raise _invalid("identities", "Each has a provider and a subject.", "invalid_identities")
        if provider == FIREBASE or provider in providers:
            email = item.get("email")
            links.append(Link(provider, subject, email if isinstance(email, str) else None))
    return links


def from_jsonl(raw: Mapping[str, Any], reading: Reading) -> Incoming:
    """A line of ``users export``, or one written by hand in that shape."""
    given = _text(raw, "id")
    user_id = _user_id(given) if given is not None else new_id()
    username = Username.chosen(_text(raw, "username", required=True) or "")
    email = _address(_text(raw, "email"), reading)
    text_hash = _text(raw, "password_hash")
    role = _text(raw, "role") or Role.USER.value
    if role not in set(Role):
        raise _invalid("role", "One of user, uploader, admin.", "invalid_role")
    texts = {text: _text(raw, text) for text in PROFILE_TEXTS}
    for text, value in texts.items():
        check_name(text, value)
    full_name = _text(raw, "full_name")
    check_name("full_name", full_name)
    attributes = reading.schema.imported(raw.get("attributes"))
    password_hash = stored_hash(text_hash, reading.firebase) if text_hash else None
    links = tuple(_links(raw, reading.providers))
    created_at = _iso_time(raw, "created_at")
    parts = [kind.imported(raw) for kind in reading.parts]  # their columns, checked
    user = _account(
        user_id,
        username,
        email,
        password_hash=password_hash,
        email_verified=_flag(raw, "email_verified"),
        role=Role(role),
        disabled=_flag(raw, "disabled"),
        created_at=created_at,
        texts=texts,
        reading=reading,
        full_name=full_name,
    )
    for part in parts:
        user = user.with_part(part)
    # The hook's attributes (the new account's only ones yet) over the file's.
    user = replace(user, attributes={**attributes, **user.attributes})
    return Incoming(ImportedUser(user, links), id_given=given is not None)


def to_jsonl(
    user: User, links: tuple[Link, ...], parts: Sequence[type[UserPart]]
) -> dict[str, Any]:
    """A user as ``users export`` writes it, its user parts' columns with it: what
    ``from_jsonl`` reads back, never a token, session, TOTP secret or passkey."""
    return {
        "id": user.id,
        "username": user.username.value if user.username is not None else None,
        "email": user.email.value if user.email else None,
        "email_verified": user.email_verified,
        "password_hash": user.password_hash,
        "role": user.role.value,
        **user.texts(),
        "full_name": user.full_name,
        **{name: value for kind in parts for name, value in user.part(kind).exported().items()},
        # Every value stored, a hidden one too: what an import brings back whole
        "attributes": dict(user.attributes),
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
        "identities": [
            {"provider": link.provider, "subject": link.subject, "email": link.email}
            for link in links
        ],
    }
