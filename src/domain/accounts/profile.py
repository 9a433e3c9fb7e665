"""The profile's own values beside the username and the address, each checked as the account's
owner writes it: a person's names (the texts ``check_name`` checks, and ``PersonName``, the
name as a source gives it), the language of the pages and mails (one of ``LOCALES``) and the time
zone. The custom fields a deployment adds are the profile's attributes
(``domain/accounts/attributes.py``); the ``User`` record that holds them all is
``domain/accounts/users.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.languages import LOCALES
from domain.text import check_text, without_controls

NAME_MAX = 100
# The profile's free texts, each a field of User: optional, at most NAME_MAX characters, no
# control characters; set by the account's owner (PUT and PATCH /user, the profile page),
# stored, answered, exported and imported as they are. Every list of them is this one, so a
# new one is its field of User and its name here (docs/contributing.md, "A new profile
# field"; docs/decisions/0363-one-list-for-each-thing-a-feature-extends.md).
PROFILE_TEXTS = ("name", "last_name")


def check_name(field_name: str, value: str | None) -> None:
    if value is not None and len(value) > NAME_MAX:
        raise InvalidInput.field(
            field_name, f"At most {NAME_MAX} characters.", "invalid_" + field_name
        )
    check_text(field_name, value)


def name_given(field_name: str, value: object) -> str | None:
    """One of the profile's texts as given (a str or None), checked (``check_name``)."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput.field(field_name, "Must be a string.", "string_type")
    check_name(field_name, value)
    return value


@dataclass(frozen=True)
class PersonName:
    """A person's name as a source gives it: the given and the family name kept apart, and
    the whole name only where the source gives neither part; it is never split, nor put in
    the given name (docs/decisions/0460-a-whole-name-alone-stays-whole.md)."""

    given: str | None = None
    family: str | None = None
    full: str | None = None

    @classmethod
    def of(cls, given: str | None, family: str | None, full: str | None = None) -> PersonName:
        """The name from texts as a source sent them: trimmed, without controls, each at most
        ``NAME_MAX`` characters, an empty one absent."""

        def clean(text: str | None) -> str | None:
            return without_controls(text or "").strip()[:NAME_MAX].strip() or None

        given_name, family_name = clean(given), clean(family)
        whole = None if given_name or family_name else clean(full)
        return cls(given_name, family_name, whole)

    @property
    def empty(self) -> bool:
        return not (self.given or self.family or self.full)


def locale_given(value: object) -> str | None:
    """The language as given: one of ``LOCALES``, or None (the browser's)."""
    if value is None or value in LOCALES:
        return value
    raise InvalidInput.field(
        "locale", f"One of {', '.join(LOCALES)}, or null.", "unsupported_locale"
    )


# An IANA time zone's name: "UTC", "Europe/Madrid", "America/Argentina/Buenos_Aires",
# "Etc/GMT+5". Which names exist is the zone database's to say (the pages offer its list).
_TIME_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")
TIME_ZONE_MAX = 64


def time_zone_given(value: object) -> str | None:
    """The time zone as given: an IANA name, or None (the browser's)."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= TIME_ZONE_MAX and _TIME_ZONE.fullmatch(value):
        return value
    raise InvalidInput.field(
        "time_zone", "An IANA time zone name, or null.", "unsupported_time_zone"
    )
