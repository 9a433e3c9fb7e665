"""Checking a password against a hash made elsewhere (domain/accounts/password_hashes.py says
which): Firebase's modified scrypt, bcrypt and Django's pbkdf2_sha256. argon2 stays with
argon2_hasher.py, which calls this for the others (docs/migrating.md)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable

import bcrypt
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from application.metrics import IMPORTED_HASH_FAILURES
from application.ports import Metrics
from domain.accounts.password_hashes import (
    FirebaseScryptHash,
    HashKind,
    django_pbkdf2_of,
    firebase_scrypt_of,
    kind_of,
)
from domain.errors import InvalidInput

BCRYPT_MAX_BYTES = 72  # what a bcrypt hash covers of a password
log = logging.getLogger("firegate.migration")


def firebase_scrypt(password: str, hashed: FirebaseScryptHash) -> bytes:
    """Firebase's scrypt: scrypt of the password with the user's salt and the project's
    salt separator, whose first 32 bytes are the AES-256-CTR key (zero IV) the project's
    signer key is encrypted with (github.com/firebase/scrypt)."""
    p = hashed.parameters
    n = 1 << p.mem_cost
    derived = hashlib.scrypt(
        password.encode(),
        salt=hashed.salt + p.salt_separator,
        n=n,
        r=p.rounds,
        p=1,
        dklen=64,
        maxmem=256 * n * p.rounds,  # 128·N·r for the block, with room for the rest
    )
    encryptor = Cipher(algorithms.AES(derived[:32]), modes.CTR(bytes(16))).encryptor()
    return encryptor.update(p.signer_key) + encryptor.finalize()


def django_pbkdf2(password: str, iterations: int, salt: str) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)


def verify_foreign(password_hash: str, password: str) -> bool:
    """Does ``password`` match a bcrypt, Django or Firebase hash? False for a malformed one;
    ValueError for a hash of another kind (argon2's is not checked here)."""
    kind = kind_of(password_hash)
    try:
        if kind is HashKind.FIREBASE_SCRYPT:
            hashed = firebase_scrypt_of(password_hash)
            return hmac.compare_digest(firebase_scrypt(password, hashed), hashed.hash)
        if kind is HashKind.DJANGO_PBKDF2:
            django = django_pbkdf2_of(password_hash)
            computed = django_pbkdf2(password, django.iterations, django.salt)
            return hmac.compare_digest(computed, django.hash)
        if kind is HashKind.BCRYPT:
            # A bcrypt hash covers the first 72 bytes; the systems that made it cut longer
            # passwords there (or refused them), and so does this check.
            secret = password.encode()[:BCRYPT_MAX_BYTES]
            return bcrypt.checkpw(secret, password_hash.encode())
    except (InvalidInput, ValueError):
        return False
    raise ValueError(f"not a foreign hash: {kind}")


def mismatch_reporter(metrics: Metrics) -> Callable[[HashKind], None]:
    """What the hasher tells of an imported hash a password did not match: a log line, and
    its count in ``metrics``. Many of them against few sign-ins with imported
    hashes is the sign of an import made with the wrong hash parameters
    (docs/migrating.md, "Check the parameters first")."""

    def report(kind: HashKind) -> None:
        log.warning(
            "a password did not match an imported %s hash", kind.value, extra={"kind": kind.value}
        )
        metrics.add(IMPORTED_HASH_FAILURES, kind=kind.value)

    return report
