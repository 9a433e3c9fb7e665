"""A person as an org's directory provisions them over SCIM (docs/reference/scim.md, "Users").

A SCIM user is a firegate account with a membership in the org, and this record: the
directory's ``userName`` (kept as it was sent, unique in the org whatever its case), the
attributes it sent, ``active``, and whether the org manages the account (it made it, on one
of its verified domains), which decides what deprovisioning ends. Its SCIM ``id`` is the
account's id; ``version`` counts its changes (the ETag).

Each record carries its **keys**: the strings a filter's indexed query looks up (one
``array_contains_any`` on them), for the equalities directories look people up by before each
create and on every sync (``userName``, ``externalId``, ``emails.value``); any other filter
goes through the org's records (docs/decisions/0472-scim-filters-within-twenty-index-entries.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import Conflict, InvalidInput, NotFound

# What a record holds at most (docs/reference/scim.md, "Limits"): its keys and the resource as
# sent fit one Firestore document (1 MiB, 40,000 index entries) whatever a directory sends.
# The strings keys are made of (userName, displayName, externalId, an address): at most
# TEXT_MAX characters each, which make up to three keys a character
TEXT_MAX = 256
USER_NAME_MAX = TEXT_MAX
EMAILS_MAX = 20  # a user's addresses, the first KEYED_EMAILS_MAX with their keys
VALUES_MAX = 100  # the values of any other multi-valued attribute (phoneNumbers, roles, …)
DOCUMENT_MAX = 256 * 1024  # characters of the resource as sent, as JSON text
GRAM_MAX = 3  # the longest substring kept as a key (a group's ``displayName``)
# The attributes a filter's keys serve, by their SCIM names
USER_NAME, EMAILS, EXTERNAL_ID, DISPLAY_NAME, ACTIVE = (
    "userName",
    "emails",
    "externalId",
    "displayName",
    "active",
)
CASE_EXACT = frozenset({EXTERNAL_ID})  # compared as sent; the others whatever their case
# The attributes whose ``eq`` a user's keys answer: what Okta and Entra ID look people up by
KEYED = frozenset({USER_NAME, EXTERNAL_ID, EMAILS})
# The addresses of a user keyed, in the order sent; a user with more holds the overflow key
# too, which an ``emails.value eq`` looks up besides the address's (then checks the filter):
# one key a value keeps a user within twenty index entries
# (docs/decisions/0472-scim-filters-within-twenty-index-entries.md)
KEYED_EMAILS_MAX = 10


def folded(attribute: str, value: str) -> str:
    """How a value of ``attribute`` is compared: as sent for a case-exact one, else folded."""
    return value if attribute in CASE_EXACT else value.casefold()


def equal_key(attribute: str, value: str) -> str:
    """The key of ``attribute eq value``."""
    return f"{attribute}={folded(attribute, value)}"


def gram_key(attribute: str, text: str) -> str:
    """The key of the records whose ``attribute`` holds ``text`` (1 to GRAM_MAX characters)."""
    return f"{attribute}~{folded(attribute, text)}"


def present_key(attribute: str) -> str:
    """The key of ``attribute pr``."""
    return f"{attribute}?"


def overflow_key(attribute: str) -> str:
    """The key of the records holding more values of ``attribute`` than they hold keys of."""
    return f"{attribute}+"


def gram_keys(attribute: str, value: str) -> set[str]:
    """The keys of every substring of ``value`` of 1 to GRAM_MAX characters."""
    text = folded(attribute, value)
    return {
        gram_key(attribute, text[i : i + size])
        for size in range(1, GRAM_MAX + 1)
        for i in range(len(text) - size + 1)
    }


@dataclass(frozen=True)
class ScimEmail:
    value: str
    type: str | None = None
    primary: bool = False


@dataclass(frozen=True)
class ScimUser:
    org_id: str
    user_id: str  # the account's id: the SCIM ``id``
    user_name: str
    active: bool
    managed: bool  # the org made the account, on one of its verified domains
    created_at: datetime
    updated_at: datetime
    version: int
    emails: tuple[ScimEmail, ...] = ()
    external_id: str | None = None
    display_name: str | None = None
    # The SCIM resource as the directory last sent it, as JSON text: what a GET answers,
    # besides ``id`` and ``meta`` (the adapter's to read; firegate's rules use the fields)
    document: str = "{}"

    @property
    def user_name_key(self) -> str:
        return folded(USER_NAME, self.user_name)

    @property
    def address(self) -> str | None:
        """The address the account takes: the primary one, else the first, else the
        ``userName`` when it is an address (Okta and Entra ID send one)."""
        primary = next((e.value for e in self.emails if e.primary), None)
        first = self.emails[0].value if self.emails else None
        return primary or first or (self.user_name if "@" in self.user_name else None)

    def keys(self) -> list[str]:
        """Every key an ``eq`` filter may look this record up by (at most KEYED_EMAILS_MAX
        + 3): its ``userName``, its ``externalId``, its first addresses, and the overflow key
        when it has more."""
        keys = {equal_key(USER_NAME, self.user_name)}
        if self.external_id:
            keys.add(equal_key(EXTERNAL_ID, self.external_id))
        addresses = dict.fromkeys(equal_key(EMAILS, email.value) for email in self.emails)
        keys |= set(list(addresses)[:KEYED_EMAILS_MAX])
        if len(addresses) > KEYED_EMAILS_MAX:
            keys.add(overflow_key(EMAILS))
        return sorted(keys)


def checked_user_name(value: object) -> str:
    """``userName`` as the directory sent it: a non-blank string of at most USER_NAME_MAX."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput.field("userName", "A userName is required.", "user_name_required")
    if len(value) > USER_NAME_MAX:
        raise InvalidInput.field(
            "userName", f"At most {USER_NAME_MAX} characters.", "string_too_long"
        )
    return value


def checked_text(field: str, value: str | None) -> str | None:
    """A string a record keys by (``displayName``, ``externalId``): at most TEXT_MAX."""
    if value is not None and len(value) > TEXT_MAX:
        raise InvalidInput.field(field, f"At most {TEXT_MAX} characters.", "string_too_long")
    return value


def _lists(value: object, name: str) -> Iterator[tuple[str, int]]:
    """Each multi-valued attribute in ``value`` (a resource as JSON): its name, its count."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _lists(inner, str(key))
    elif isinstance(value, list):
        yield name, len(value)
        for inner in value:
            yield from _lists(inner, name)


def checked_document(document: str, most: Mapping[str, int]) -> str:
    """The resource as the directory sent it (JSON text), to be kept: in each multi-valued
    attribute at most the values ``most`` names for it, else VALUES_MAX (400 ``invalidValue``
    naming the attribute), and at most DOCUMENT_MAX characters in all."""
    for name, count in _lists(json.loads(document), ""):
        limit = most.get(name, VALUES_MAX)
        if count > limit:
            raise InvalidInput.field(name, f"At most {limit} values.", "too_many_values")
    if len(document) > DOCUMENT_MAX:
        raise InvalidInput(
            f"The resource is too large to keep: at most {DOCUMENT_MAX} characters of JSON.",
            code="resource_too_large",
        )
    return document


def checked_record(user: ScimUser) -> ScimUser:
    """``user`` if it fits a record (the ``Limits`` above); 400 ``invalidValue`` else.
    Checked where a directory's request makes or changes one, never on reading one."""
    for email in user.emails:
        if len(email.value) > TEXT_MAX:
            raise InvalidInput.field(
                "emails", f"At most {TEXT_MAX} characters an address.", "string_too_long"
            )
    return replace(
        user,
        user_name=checked_user_name(user.user_name),
        external_id=checked_text("externalId", user.external_id),
        display_name=checked_text("displayName", user.display_name),
        document=checked_document(user.document, {EMAILS: EMAILS_MAX}),
    )


def user_name_taken() -> Conflict:
    return Conflict("Another user of this organization has this userName.", code="user_name_taken")


def no_such_user() -> NotFound:
    return NotFound("No such user in this organization.", code="scim_user_not_found")


def version_mismatch() -> Conflict:
    """The version a change was made on (an ETag the directory sent) is no longer current."""
    return Conflict("The user was changed meanwhile.", code="version_mismatch")
