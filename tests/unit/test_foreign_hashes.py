"""Imported password hashes: each format checked against its published vector or its own
library, kept as argon2id's re-hash path expects, and timed like an argon2 check."""

from __future__ import annotations

import time

import argon2
import pytest

from domain.errors import InvalidInput
from domain.password_hashes import FirebaseScrypt, firebase_user_hash, stored_hash
from infrastructure.argon2_hasher import Argon2PasswordHasher
from infrastructure.foreign_hashes import verify_foreign
from tests.foreign_users import FirebaseProject, bcrypt_hash, django_hash, random_password

pytestmark = pytest.mark.unit

# The sample of github.com/firebase/scrypt's README: a project's parameters, one exported
# user's salt and hash, and the password it was made from.
README_PROJECT = FirebaseScrypt.from_base64(
    "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
    "Bw==",
    8,
    14,
)
README_HASH = (
    "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="
)
README_SALT = "42xEC+ixf3L2lw=="
# Django's own test (tests/auth_tests/test_hashers.py, test_pbkdf2).
DJANGO_VECTOR = "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c="


def test_firebase_scrypt_matches_the_published_vector() -> None:
    stored = firebase_user_hash(README_HASH, README_SALT, README_PROJECT)
    assert verify_foreign(stored, "user1password")
    assert not verify_foreign(stored, "user1passwore")
    assert not verify_foreign(stored, "user1password ")


def test_a_short_firebase_hash_takes_the_parameters_given_and_keeps_them() -> None:
    short = f"firebase-scrypt${README_HASH}${README_SALT}"
    with pytest.raises(InvalidInput) as missing:
        stored_hash(short, None)
    assert missing.value.code == "hash_parameters_missing"
    stored = stored_hash(short, README_PROJECT)
    assert stored.count("$") == 6
    assert stored_hash(stored, None) == stored  # the long form carries its parameters
    assert verify_foreign(stored, "user1password")


def test_django_pbkdf2_matches_djangos_published_vector() -> None:
    assert stored_hash(DJANGO_VECTOR, None) == DJANGO_VECTOR
    assert verify_foreign(DJANGO_VECTOR, "lètmein")
    assert not verify_foreign(DJANGO_VECTOR, "lètmeinz")


@pytest.mark.parametrize("prefix", ["2a", "2b", "2y"])
def test_bcrypt_hashes_of_each_prefix(prefix: str) -> None:
    password = random_password()
    hashed = bcrypt_hash(password, prefix)
    assert hashed.startswith(f"${prefix}$")
    assert stored_hash(hashed, None) == hashed
    assert verify_foreign(hashed, password)
    assert not verify_foreign(hashed, password + "x")


def test_bcrypt_checks_the_72_bytes_its_hash_covers() -> None:
    long = "é" * 40  # 80 bytes: the hash covers the first 72, as the system that made it did
    hashed = bcrypt_hash(long[:36])
    assert verify_foreign(hashed, long)


def test_generated_firebase_users_verify_with_their_project() -> None:
    project, password = FirebaseProject.random(), random_password()
    user = project.user(password)
    stored = firebase_user_hash(user["passwordHash"], user["salt"], project.parameters)
    assert verify_foreign(stored, password)
    other = FirebaseProject.random()  # another project's signer key: no match
    assert not verify_foreign(
        firebase_user_hash(user["passwordHash"], user["salt"], other.parameters), password
    )


@pytest.mark.parametrize(
    "text",
    [
        "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3",
        "$2b$04$short",
        "pbkdf2_sha256$0$salt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",
        "pbkdf2_sha256$1000$salt$not-base64",
        "firebase-scrypt$!!$??",
        f"firebase-scrypt${README_HASH}${README_SALT}$8$99$Bw==$AAAA",
        "$argon2id$nonsense",
        "plain text password",
        "",
    ],
)
def test_hashes_of_no_known_format_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        stored_hash(text, README_PROJECT)


def test_the_hasher_checks_imported_hashes_and_rehashes_them() -> None:
    hasher = Argon2PasswordHasher()
    password = random_password()
    for imported in (bcrypt_hash(password, "2y"), django_hash(password)):
        assert hasher.verify(imported, password)
        assert not hasher.verify(imported, password + "!")
        assert hasher.needs_rehash(imported)
    weaker = argon2.PasswordHasher(time_cost=1, memory_cost=64, type=argon2.Type.I)
    assert hasher.verify(weaker.hash(password), password)
    assert hasher.needs_rehash(weaker.hash(password))
    assert not hasher.needs_rehash(hasher.hash(password))


def test_a_firebase_hash_is_checked_by_the_hasher() -> None:
    hasher = Argon2PasswordHasher()
    project, password = FirebaseProject.random(), random_password()
    user = project.user(password)
    stored = firebase_user_hash(user["passwordHash"], user["salt"], project.parameters)
    assert hasher.verify(stored, password)
    assert not hasher.verify(stored, "another password")


def test_a_quick_imported_hash_takes_as_long_as_an_argon2_check() -> None:
    hasher = Argon2PasswordHasher()
    quick = django_hash(random_password(), iterations=1)  # microseconds on its own

    def seconds(check: object) -> float:
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            check()  # type: ignore[operator]
            runs.append(time.perf_counter() - started)
        return sorted(runs)[2]

    unknown = seconds(lambda: hasher.verify_dummy("a wrong password"))
    imported = seconds(lambda: hasher.verify(quick, "a wrong password"))
    assert imported >= 0.8 * unknown, (imported, unknown)


class Stopwatch:
    """The hasher's clock, moved by the test: the next check takes what ``takes`` said (the
    clock is read at its start and at its end), and a wait moves it on by the time waited."""

    def __init__(self) -> None:
        self.now, self.reads = 0.0, 0
        self.costs: list[float] = []
        self.waits: list[float] = []

    def takes(self, seconds: float) -> None:
        self.costs.append(seconds)

    def __call__(self) -> float:
        self.reads += 1
        if self.reads % 2 == 0:  # the end of a check
            self.now += self.costs.pop(0)
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_a_slow_imported_check_takes_its_own_time_and_a_quick_one_argon2s() -> None:
    watch = Stopwatch()
    watch.takes(0.05)  # the argon2 hash the hasher makes at start
    hasher = Argon2PasswordHasher(clock=watch, sleep=watch.sleep)
    password = random_password()
    slow = bcrypt_hash(password, rounds=12)  # bcrypt of a high cost: slower than argon2 here
    for attempt, matches in ((password, True), ("a wrong password", False)):
        watch.takes(0.3)
        assert hasher.verify(slow, attempt) is matches
    assert watch.waits == []  # not padded further

    quick = django_hash(password, iterations=1)
    watch.takes(0.001)
    assert not hasher.verify(quick, "a wrong password")
    assert watch.waits == [pytest.approx(0.049)]  # up to the argon2 check's 0.05 s

    watch.takes(0.08)  # an argon2 check seen since sets the time to reach
    hasher.verify_dummy("a wrong password")
    watch.takes(0.002)
    assert hasher.verify(quick, password)
    assert watch.waits == [pytest.approx(0.049), pytest.approx(0.078)]
    assert watch.costs == []
