"""What a person signs in with: a username or an e-mail address, value objects that normalise
on construction, each unique by its key (``username_key``, ``address_key``: ``login_key`` says
which a login names), the special-use names an address may be on, the policy a new password
follows, and the usernames made for an account that signed up without an address
(``made_names``). The ``User`` record that holds them, with its rules, is
``domain/accounts/users.py``."""

from __future__ import annotations

import gzip
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

from domain.confusables import mixes_scripts, skeleton
from domain.dns_names import a_label
from domain.errors import InvalidInput
from domain.ids import new_id

USERNAME_MIN, USERNAME_MAX = 3, 32
PASSWORD_MIN, PASSWORD_MAX = 8, 128
EMAIL_MAX = 254
_USERNAME_PUNCTUATION = frozenset("_.-")


def fold(value: str) -> str:
    """Unicode caseless matching key: NFKC(casefold(NFKC(value)))."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def username_key(value: str) -> str:
    """What makes a username unique: case, width and look-alike characters aside.

    The UTS #39 skeleton of the folded name, folded again until it is stable (a prototype
    may be upper case: "0" looks like "O"), so "Alice", "alice" in fullwidth letters,
    "al\u0131ce" (dotless i) and "aIice" share one key.
    See docs/decisions/0052-look-alike-usernames.md.
    """
    return look_alike_key(value)


def look_alike_key(value: str) -> str:
    """What texts that read alike share (``username_key``'s rule, for any text: an org's
    domain's Unicode form too): the stable UTS #39 skeleton of the folded text."""
    key = fold(value)
    for _ in range(8):  # at most three rounds for any single character of Unicode 15.1
        nxt = fold(skeleton(key))
        if nxt == key:
            break
        key = nxt
    return key


def address_key(address: str) -> str:
    """What makes an address one account's, and the only function that makes it: the local
    part case-folded (``fold``), the domain as its IDNA 2008 A-label, never folded. Folding a
    domain would make ``glaß-x.net`` the ``glass-x.net`` another person holds; its A-label
    keeps them apart, as DNS does. A domain IDNA 2008 refuses (only in an address stored
    before the rule) is folded (docs/security.md, "One address, one account")."""
    local, at, domain = address.rpartition("@")
    if not at:
        return fold(address)
    return f"{fold(local)}@{a_label(domain) or fold(domain)}"


def folds_onto_another(address: str) -> bool:
    """Whether case-folding the address does more than lower-case it: ``ß``, final ``ς``,
    ligatures and full-width letters fold onto other letters, so the address would share its
    key with an address another person may hold (``boß@`` and ``boss@``, ``glaß-x.net`` and
    ``glass-x.net``). A new address of that kind is refused (``AddressRule``); one stored
    before stays as it is."""
    local, _, domain = address.rpartition("@")
    plain = unicodedata.normalize("NFC", local).lower()
    if fold(local) != unicodedata.normalize("NFC", plain):
        return True
    return a_label(domain) != a_label(fold(domain))


def login_key(login: str) -> str:
    """The claim key a login names: an e-mail address (it has an '@') or a username."""
    return address_key(login) if "@" in login else username_key(login)


@lru_cache(maxsize=4096)
def _checked_username(value: str) -> tuple[str, str]:
    """The display form and key of a valid name. Cached: every authenticated request loads
    its user, and the key (a UTS #39 skeleton) costs more than the rest of that load."""
    display = unicodedata.normalize("NFKC", value)
    if not USERNAME_MIN <= len(display) <= USERNAME_MAX:
        raise InvalidInput.field(
            "username",
            f"Username must be {USERNAME_MIN} to {USERNAME_MAX} characters long.",
            "invalid_username",
        )
    for ch in display:
        category = unicodedata.category(ch)
        if not (category.startswith("L") or category == "Nd" or ch in _USERNAME_PUNCTUATION):
            raise InvalidInput.field(
                "username",
                "Username may contain only letters, digits, '_', '.' and '-'.",
                "invalid_username",
            )
    return display, username_key(display)


@dataclass(frozen=True)
class Username:
    """A display name as typed (after NFKC) plus the key that makes it unique."""

    value: str
    normalized: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        display, key = _checked_username(self.value)
        object.__setattr__(self, "value", display)
        object.__setattr__(self, "normalized", key)

    @classmethod
    def chosen(cls, value: str) -> Username:
        """A name someone picks now: also of one script (or a UTS #39 "highly restrictive"
        mix such as Han with Hiragana), which names stored earlier need not be."""
        username = cls(value)
        if mixes_scripts(username.value):
            raise InvalidInput.field(
                "username",
                "A username may not mix letters of different scripts (such as Latin and Cyrillic).",
                "mixed_script_username",
            )
        return username

    @staticmethod
    def from_address(email: Email) -> str:
        """A username made from an address's local part: its letters, digits, '_', '.'
        and '-', at most 32 of them; too few of them leave a name that cannot be (422)."""
        local = unicodedata.normalize("NFKC", email.value.rpartition("@")[0])
        kept = "".join(
            ch
            for ch in local
            if unicodedata.category(ch).startswith("L")
            or unicodedata.category(ch) == "Nd"
            or ch in _USERNAME_PUNCTUATION
        )
        return kept[:USERNAME_MAX]


@dataclass(frozen=True)
class Email:
    """An e-mail address (syntax checked fully at the HTTP edge); unique by ``address_key``."""

    value: str
    normalized: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "normalized", _checked_email(self.value))


# The names the IANA keeps for special uses (RFC 6761, 6762, 7686), with their subdomains: no
# address on one is deliverable on the Internet, yet a directory on premises (``.local``) or a
# test setup (``.test``) has them; where one is accepted is the address rule's
# (docs/decisions/0463-one-address-rule.md).
SPECIAL_USE_NAMES = ("arpa", "invalid", "local", "localhost", "onion", "test")


def special_use(email: Email) -> bool:
    """Whether the address's domain is, or is under, a special-use name."""
    domain = email.normalized.rpartition("@")[2].rstrip(".")
    return any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_NAMES)


def special_use_refused(field_name: str = "email") -> InvalidInput:
    return InvalidInput.field(
        field_name,
        "An address on a special-use name (such as .test or .local) is accepted only on a"
        " domain an organization has verified.",
        "special_use_email",
    )


@lru_cache(maxsize=4096)
def _checked_email(value: str) -> str:
    """The key of a plausible address (cached like usernames)."""
    local, at, domain = value.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(value) > EMAIL_MAX
        or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in value)
    ):
        raise InvalidInput.field("email", "Not a valid e-mail address.", "invalid_email")
    return address_key(value)


@cache
def _common_passwords() -> frozenset[str]:
    # 20,000 most common passwords (Royce Williams' list, as shipped by Django).
    data = resources.files("domain.data").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def check_password_policy(password: str) -> None:
    """Length in code points and the common-password list; no trimming, no composition rules."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput.field(
            "password",
            f"Password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long.",
            "invalid_password",
        )
    if password.casefold() in _common_passwords():
        raise InvalidInput.field(
            "password", "This password is too common; choose another.", "password_too_common"
        )


def credential_given[Unique: (Username, Email)](
    kind: type[Unique], field_name: str, value: object
) -> Unique:
    """A username or e-mail address as given: built from a str, or built already."""
    if isinstance(value, str):
        return kind(value)
    if isinstance(value, kind):
        return value
    raise InvalidInput.field(field_name, "May not be null.", "null_not_allowed")


# Usernames made for an account that signed up without an address (a phone number's sign-up:
# no digit of the number is shown), which its person did not choose: ``user_`` and four random
# digits, else ``user_`` and twelve characters of a new id. While an account's username is such
# a name, its profile invites the person to choose one (docs/pages.md, "The account area";
# docs/decisions/0656-a-number-shown-as-people-write-it-and-a-name-to-choose.md).
_MADE_STEM = "user"
_MADE = re.compile(r"user_(?:[0-9]{4}|[A-Za-z0-9_-]{12})")


def made_names(tries: int) -> list[str]:
    """``tries`` names to try in turn for an account without an address: random digits
    first, then (should all be taken) an id's characters."""
    digits = [f"{_MADE_STEM}_{secrets.randbelow(10**4):04d}" for _ in range(tries - 1)]
    return [*digits, f"{_MADE_STEM}_{new_id()[:12]}"]


def made_for_the_account(username: str) -> bool:
    """Whether ``username`` has the form of a name ``made_names`` makes."""
    return _MADE.fullmatch(username) is not None
