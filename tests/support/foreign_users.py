"""Users as other systems export them, made up here with random keys, salts and passwords:
a Firebase project (``firebase auth:export --format=json``) with its own hash parameters,
bcrypt hashes from the ``bcrypt`` package, and Django's pbkdf2_sha256 as Django writes it
(``django.contrib.auth.hashers.PBKDF2PasswordHasher``: base64 of PBKDF2-HMAC-SHA256 of the
UTF-8 password with the salt's text, ``pbkdf2_sha256$<iterations>$<salt>$<hash>``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt

from domain.accounts.password_hashes import FirebaseScrypt, FirebaseScryptHash
from infrastructure.accounts.foreign_hashes import firebase_scrypt

# Firebase's own defaults for rounds and mem_cost (every project's are these).
FIREBASE_ROUNDS, FIREBASE_MEM_COST = 8, 14


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def random_password() -> str:
    # Letters, digits and a few others, with an accented one: never a common password.
    alphabet = string.ascii_letters + string.digits + "-_ !é"
    return "".join(secrets.choice(alphabet) for _ in range(14)) + "é"


@dataclass(frozen=True)
class FirebaseProject:
    """A Firebase project's password hash parameters, as its console shows them."""

    parameters: FirebaseScrypt

    @classmethod
    def random(
        cls, rounds: int = FIREBASE_ROUNDS, mem_cost: int = FIREBASE_MEM_COST
    ) -> FirebaseProject:
        key, separator = secrets.token_bytes(64), secrets.token_bytes(1)
        return cls(FirebaseScrypt(key, separator, rounds, mem_cost))

    def options(self) -> list[str]:
        """The import command's options for this project."""
        p = self.parameters
        return [
            "--hash-key", b64(p.signer_key), "--salt-separator", b64(p.salt_separator),
            "--rounds", str(p.rounds), "--mem-cost", str(p.mem_cost),
        ]  # fmt: skip

    def password_hash(self, password: str) -> tuple[str, str]:
        """``passwordHash`` and ``salt`` of a user with ``password``, as the export has them."""
        salt = secrets.token_bytes(12)
        hashed = firebase_scrypt(password, FirebaseScryptHash(b"", salt, self.parameters))
        return b64(hashed), b64(salt)

    def user(self, password: str | None, **fields: Any) -> dict[str, Any]:
        """One user of the export (its ``localId`` random, as Firebase makes them)."""
        user: dict[str, Any] = {
            "localId": secrets.token_urlsafe(21)[:28],
            "createdAt": "1508893925000",
            "lastSignedInAt": "1508893925000",
            "providerUserInfo": [],
        }
        if password is not None:
            user["passwordHash"], user["salt"] = self.password_hash(password)
        user.update(fields)
        return user


def write_firebase_export(path: Path, users: list[dict[str, Any]]) -> Path:
    """The file ``firebase auth:export --format=json`` writes."""
    path.write_text(json.dumps({"users": users}, indent=2))
    return path


def stream_firebase_export(path: Path, users: Iterable[dict[str, Any]]) -> int:
    """``write_firebase_export`` one user at a time, for files too large to hold; how many."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"users": [')
        for count, user in enumerate(users, start=1):
            out.write(("\n" if count == 1 else ",\n") + json.dumps(user))
        out.write("\n]}\n")
    return count


def bcrypt_hash(password: str, prefix: str = "2b", rounds: int = 4) -> str:
    """A bcrypt hash as Supabase (Go: $2a$), Laravel ($2y$) or Python ($2b$) would store it."""
    made = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()
    return f"${prefix}${made[4:]}"


def django_hash(password: str, iterations: int = 1_000, salt: str | None = None) -> str:
    """What Django's make_password(password, salt, "pbkdf2_sha256") writes (Django's tests
    pin "lètmein", "seasalt", 390000 to one published value, checked in the unit tests)."""
    salt = salt or "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(22))
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${b64(digest)}"


def firebase_users(project: FirebaseProject, count: int, password: str) -> Iterator[dict[str, Any]]:
    """``count`` users sharing one hash and salt (scrypt is the slow part of making them),
    each with its own id and address: for files too large to hash one by one."""
    hashed, salt = project.password_hash(password)
    for number in range(count):
        yield {
            "localId": f"u{number:09d}{secrets.token_hex(4)}",
            "email": f"user{number}@example.com",
            "emailVerified": number % 2 == 0,
            "passwordHash": hashed,
            "salt": salt,
            "displayName": f"User {number}",
            "createdAt": "1508893925000",
            "lastSignedInAt": "1508893925000",
            "providerUserInfo": [],
        }
