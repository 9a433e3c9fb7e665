"""Password hashes made elsewhere, which an import brings in as they are: what each format
looks like, and the form firegate stores it in until the next sign-in re-hashes it with
argon2id (docs/migrating.md). Checking a password against one is infrastructure's.

- argon2 (PHC ``$argon2id$…``, ``$argon2i$…``, ``$argon2d$…``), firegate's own;
- bcrypt (``$2a$``, ``$2b$``, ``$2y$``: Supabase, Auth0, Devise, Laravel);
- Django's ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>``;
- Firebase Auth's modified scrypt: ``firebase-scrypt$<hash>$<salt>`` with the project's
  parameters given apart, stored with them as
  ``firebase-scrypt$<hash>$<salt>$<rounds>$<mem_cost>$<salt separator>$<signer key>``
  (each part standard base64, which has no ``$``), so that a sign-in needs nothing else.

An import refuses a hash whose check would cost more than these limits (``hash_too_costly``):
one such account's wrong passwords would hold the hashing threads every sign-in waits for
(docs/migrating.md, "Limits").
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidInput

FIREBASE_SCRYPT = "firebase-scrypt"
DJANGO_PBKDF2 = "pbkdf2_sha256"
_ARGON2 = re.compile(
    r"\$argon2(id|i|d)\$(v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)
# bcrypt's modular crypt form: cost 04-31, 22 characters of salt and 31 of hash.
_BCRYPT = re.compile(r"\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}")
_DJANGO = re.compile(r"pbkdf2_sha256\$([1-9]\d{0,8})\$([^$]{1,128})\$([A-Za-z0-9+/]{43}=)")
MAX_HASH_LENGTH = 1024

# The costliest check an imported hash may ask for (docs/migrating.md, "Limits").
MAX_BCRYPT_COST = 14
MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_TIME, MAX_ARGON2_PARALLELISM = 262_144, 10, 16
MAX_PBKDF2_ITERATIONS = 2_000_000
MAX_FIREBASE_ROUNDS, MAX_FIREBASE_MEM_COST = 16, 15
HASH_TOO_COSTLY = "hash_too_costly"
_ARGON2_COSTS = re.compile(r"m=(\d+),t=(\d+),p=(\d+)\$")


class HashKind(StrEnum):
    ARGON2 = "argon2"
    BCRYPT = "bcrypt"
    DJANGO_PBKDF2 = "django-pbkdf2"
    FIREBASE_SCRYPT = "firebase-scrypt"


@dataclass(frozen=True)
class FirebaseScrypt:
    """A Firebase project's password hash parameters (console: Authentication, Users,
    Password hash parameters): ``rounds`` is scrypt's r, ``mem_cost`` log2 of its N."""

    signer_key: bytes
    salt_separator: bytes
    rounds: int
    mem_cost: int

    def __post_init__(self) -> None:
        if not self.signer_key or self.rounds < 1 or self.mem_cost < 1:
            raise InvalidInput.field(
                "hash_parameters",
                "Firebase hash parameters: a signer key, rounds and mem_cost of at least 1.",
                "invalid_hash_parameters",
            )
        if self.rounds > MAX_FIREBASE_ROUNDS or self.mem_cost > MAX_FIREBASE_MEM_COST:
            raise _too_costly(
                f"Firebase hash parameters above rounds {MAX_FIREBASE_ROUNDS} and mem_cost "
                f"{MAX_FIREBASE_MEM_COST} are refused (Firebase's own are 8 and 14).",
                "hash_parameters",
            )

    @classmethod
    def from_base64(
        cls, signer_key: str, salt_separator: str, rounds: int, mem_cost: int
    ) -> FirebaseScrypt:
        key, separator = (
            _decoded(signer_key, "hash_key"),
            _decoded(salt_separator, "salt_separator"),
        )
        return cls(key, separator, rounds, mem_cost)


@dataclass(frozen=True)
class FirebaseScryptHash:
    """One user's Firebase hash with the parameters it was made with."""

    hash: bytes
    salt: bytes
    parameters: FirebaseScrypt

    def stored(self) -> str:
        p = self.parameters
        parts = (self.hash, self.salt, p.rounds, p.mem_cost, p.salt_separator, p.signer_key)
        return "$".join(
            [FIREBASE_SCRYPT]
            + [str(x) if isinstance(x, int) else base64.b64encode(x).decode() for x in parts]
        )


@dataclass(frozen=True)
class DjangoPbkdf2Hash:
    iterations: int
    salt: str
    hash: bytes


def _decoded(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput.field(field, "Not standard base64.", "invalid_base64") from None


def _too_costly(detail: str, field: str = "password_hash") -> InvalidInput:
    return InvalidInput.field(field, detail, HASH_TOO_COSTLY)


def check_cost(password_hash: str) -> None:
    """InvalidInput (``hash_too_costly``) when checking a password against this hash of
    known format would cost more than the limits: bcrypt cost above 14, argon2 above
    m=262144 KiB, t=10 or p=16, pbkdf2_sha256 above 2,000,000 iterations (a Firebase hash's
    parameters are checked where they are read, ``FirebaseScrypt``)."""
    kind = kind_of(password_hash)
    if kind is HashKind.BCRYPT:
        cost = password_hash[4:6]
        if cost.isdigit() and int(cost) > MAX_BCRYPT_COST:
            raise _too_costly(f"A bcrypt cost above {MAX_BCRYPT_COST} is refused.")
    elif kind is HashKind.ARGON2:
        costs = _ARGON2_COSTS.search(password_hash)
        if costs is not None:
            memory, time, lanes = (int(n) for n in costs.groups())
            if (
                memory > MAX_ARGON2_MEMORY_KIB
                or time > MAX_ARGON2_TIME
                or lanes > MAX_ARGON2_PARALLELISM
            ):
                raise _too_costly(
                    f"argon2 above m={MAX_ARGON2_MEMORY_KIB}, t={MAX_ARGON2_TIME}, "
                    f"p={MAX_ARGON2_PARALLELISM} is refused."
                )
    elif kind is HashKind.DJANGO_PBKDF2:
        iterations = password_hash.split("$")[1]
        if iterations.isdigit() and int(iterations) > MAX_PBKDF2_ITERATIONS:
            raise _too_costly(
                f"pbkdf2_sha256 above {MAX_PBKDF2_ITERATIONS:,} iterations is refused."
            )


def too_costly(password_hash: str) -> bool:
    """Would checking this stored hash cost more than an import allows? (One stored before
    the limits, say: it is never checked.)"""
    try:
        check_cost(password_hash)
        if kind_of(password_hash) is HashKind.FIREBASE_SCRYPT:
            firebase_scrypt_of(password_hash)
    except InvalidInput as error:
        return error.code == HASH_TOO_COSTLY
    return False


def _unsupported() -> InvalidInput:
    return InvalidInput.field(
        "password_hash",
        "Not a password hash firegate can check (argon2, bcrypt, Django pbkdf2_sha256 or "
        "Firebase scrypt).",
        "unsupported_password_hash",
    )


def kind_of(password_hash: str) -> HashKind | None:
    """The format of a stored hash; None for one of no known format."""
    if password_hash.startswith("$argon2"):
        return HashKind.ARGON2
    if password_hash.startswith("$2"):
        return HashKind.BCRYPT
    if password_hash.startswith(DJANGO_PBKDF2 + "$"):
        return HashKind.DJANGO_PBKDF2
    if password_hash.startswith(FIREBASE_SCRYPT + "$"):
        return HashKind.FIREBASE_SCRYPT
    return None


def firebase_scrypt_of(password_hash: str) -> FirebaseScryptHash:
    """The parts of a stored Firebase hash (the long form); InvalidInput otherwise."""
    parts = password_hash.split("$")
    if len(parts) != 7 or parts[0] != FIREBASE_SCRYPT:
        raise _unsupported()
    _, hashed, salt, rounds, mem_cost, separator, key = parts
    if not (rounds.isdigit() and mem_cost.isdigit()):
        raise _unsupported()
    parameters = FirebaseScrypt.from_base64(key, separator, int(rounds), int(mem_cost))
    return FirebaseScryptHash(
        _decoded(hashed, "password_hash"), _decoded(salt, "password_hash"), parameters
    )


def django_pbkdf2_of(password_hash: str) -> DjangoPbkdf2Hash:
    match = _DJANGO.fullmatch(password_hash)
    if match is None:
        raise _unsupported()
    iterations, salt, hashed = match.groups()
    return DjangoPbkdf2Hash(int(iterations), salt, base64.b64decode(hashed))


def stored_hash(password_hash: str, firebase: FirebaseScrypt | None) -> str:
    """``password_hash`` as an import gives it, in the form it is stored in: checked for its
    format, a short Firebase hash joined to the project's parameters. InvalidInput for a
    hash of no known format, one too costly to check (``hash_too_costly``), or a short
    Firebase hash without parameters."""
    if len(password_hash) > MAX_HASH_LENGTH:
        raise _unsupported()
    kind = kind_of(password_hash)
    if kind is HashKind.ARGON2 and _ARGON2.fullmatch(password_hash):
        check_cost(password_hash)
        return password_hash
    if kind is HashKind.BCRYPT and _BCRYPT.fullmatch(password_hash):
        check_cost(password_hash)
        return password_hash
    if kind is HashKind.DJANGO_PBKDF2:
        django_pbkdf2_of(password_hash)
        check_cost(password_hash)
        return password_hash
    if kind is HashKind.FIREBASE_SCRYPT:
        parts = password_hash.split("$")
        if len(parts) == 3:
            if firebase is None:
                raise InvalidInput.field(
                    "password_hash",
                    "A Firebase scrypt hash needs the project's hash parameters "
                    "(--hash-key, --salt-separator, --rounds, --mem-cost).",
                    "hash_parameters_missing",
                )
            hashed, salt = (_decoded(part, "password_hash") for part in parts[1:])
            return FirebaseScryptHash(hashed, salt, firebase).stored()
        return firebase_scrypt_of(password_hash).stored()
    raise _unsupported()


def still_as_imported(password_hash: str | None, has_signed_in: bool) -> bool:
    """May ``users import --update`` replace an account's stored password hash with the
    file's? Only while it is still what an import wrote and nobody has used here: a hash of
    another system's kind (a sign-in re-hashes it with argon2id in its own commit, and a
    change or a reset writes argon2id), or none on an account that has never signed in. An
    argon2 hash may be the person's own, and stays
    (docs/decisions/0291-an-update-keeps-what-people-did-here.md)."""
    if password_hash is None:
        return not has_signed_in
    kind = kind_of(password_hash)
    return kind is not None and kind is not HashKind.ARGON2


def firebase_user_hash(password_hash: str, salt: str, firebase: FirebaseScrypt | None) -> str:
    """The stored form of a ``firebase auth:export`` user's ``passwordHash`` and ``salt``."""
    return stored_hash(f"{FIREBASE_SCRYPT}${password_hash}${salt}", firebase)
