"""Imported password hashes: each format checked against its published vector or its own
library, kept as argon2id's re-hash path expects, and timed like an argon2 check."""

from __future__ import annotations

import threading
import time
from typing import Any

import argon2
import pytest

from domain.accounts.password_hashes import FirebaseScrypt, firebase_user_hash, stored_hash
from domain.errors import InvalidInput
from infrastructure.accounts.argon2_hasher import Argon2PasswordHasher
from infrastructure.accounts.foreign_hashes import verify_foreign
from tests.support.foreign_users import FirebaseProject, bcrypt_hash, django_hash, random_password

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
    """On the real clock: the quick check is padded with a wait up to what the argon2 check
    seen before it took (the exact arithmetic: the Stopwatch tests below). A wait asked for,
    not a time measured: tests assert outcomes (docs/decisions/0341)."""
    waits: list[float] = []
    hasher = Argon2PasswordHasher(sleep=waits.append)
    quick = django_hash(random_password(), iterations=1)  # microseconds on its own
    hasher.verify_dummy("a wrong password")
    assert not hasher.verify(quick, "a wrong password")
    assert len(waits) == 1 and waits[0] > 0, waits


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


def _bcrypt_of_cost(cost: int) -> str:
    """A well-formed bcrypt hash of ``cost`` (made at cost 4: a high one takes minutes)."""
    made = bcrypt_hash(random_password())
    return f"{made[:4]}{cost:02d}{made[6:]}"


def _argon2_of(m: int, t: int, p: int) -> str:
    return f"$argon2id$v=19$m={m},t={t},p={p}$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g"


def _django_of(iterations: int) -> str:
    return f"pbkdf2_sha256${iterations}$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c="


def _firebase_of(rounds: int, mem_cost: int) -> str:
    return f"firebase-scrypt${README_HASH}${README_SALT}${rounds}${mem_cost}$Bw==$AAAA"


@pytest.mark.parametrize(
    "text",
    [
        _bcrypt_of_cost(15),
        _bcrypt_of_cost(31),
        _argon2_of(262_145, 2, 1),
        _argon2_of(4_194_304, 3, 4),  # 4 GiB
        _argon2_of(19_456, 11, 1),
        _argon2_of(19_456, 2, 17),
        _django_of(2_000_001),
        _django_of(999_999_999),
        _firebase_of(17, 14),
        _firebase_of(8, 16),
    ],
    ids=[
        "bcrypt-15",
        "bcrypt-31",
        "argon2-m",
        "argon2-4GiB",
        "argon2-t",
        "argon2-p",
        "pbkdf2-2000001",
        "pbkdf2-999999999",
        "firebase-rounds",
        "firebase-mem-cost",
    ],
)
def test_an_import_refuses_a_hash_too_costly_to_check(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        stored_hash(text, None)
    assert refused.value.code == "hash_too_costly"


@pytest.mark.parametrize(
    "text",
    [
        _bcrypt_of_cost(14),
        _argon2_of(262_144, 10, 16),
        _django_of(2_000_000),
        _firebase_of(16, 15),
    ],
    ids=["bcrypt", "argon2", "pbkdf2", "firebase"],
)
def test_hashes_at_the_limits_are_taken(text: str) -> None:
    assert stored_hash(text, None) == text


def test_firebase_parameters_above_the_limits_are_refused_before_any_record() -> None:
    for rounds, mem_cost in ((17, 14), (8, 16), (32, 20)):
        with pytest.raises(InvalidInput) as refused:
            FirebaseScrypt.from_base64("AAAA", "Bw==", rounds, mem_cost)
        assert refused.value.code == "hash_too_costly"
    with pytest.raises(InvalidInput) as invalid:
        FirebaseScrypt.from_base64("AAAA", "Bw==", 0, 14)
    assert invalid.value.code == "invalid_hash_parameters"
    assert FirebaseScrypt.from_base64("AAAA", "Bw==", 16, 15).rounds == 16


def test_an_imported_argon2_hash_never_moves_the_padding_of_foreign_checks() -> None:
    """The time a quick imported check is padded to is that of an argon2 check with
    firegate's own parameters: a slow imported argon2 hash (m=256 MiB, t=10, within the
    limits) takes its own time, and the next quick check still waits only the own one's."""
    watch = Stopwatch()
    watch.takes(0.05)  # the argon2 hash the hasher makes at start
    hasher = Argon2PasswordHasher(clock=watch, sleep=watch.sleep)
    password = random_password()
    theirs = argon2.PasswordHasher(time_cost=3, memory_cost=1024, parallelism=2).hash(password)
    watch.takes(5.0)  # as a m=256 MiB, t=10 one would take
    assert not hasher.verify(theirs, "a wrong password")
    quick = django_hash(password, iterations=1)
    watch.takes(0.001)
    assert not hasher.verify(quick, "a wrong password")
    assert watch.waits == [pytest.approx(0.049)]  # argon2's own 0.05 s, not 5 s
    watch.takes(0.07)  # a check of firegate's own parameters does set it
    hasher.verify_dummy("a wrong password")
    watch.takes(0.001)
    assert not hasher.verify(quick, "a wrong password")
    assert watch.waits == [pytest.approx(0.049), pytest.approx(0.069)]
    assert watch.costs == []


def test_a_stored_hash_above_the_limits_is_never_checked() -> None:
    """One imported before the limits (bcrypt cost 31 would take days): the dummy argon2
    check instead, and no match, right password or not."""
    hasher = Argon2PasswordHasher()
    password = random_password()
    for costly in (_bcrypt_of_cost(31), _django_of(999_999_999), _firebase_of(32, 20)):
        started = time.perf_counter()
        assert not hasher.verify(costly, password)
        assert time.perf_counter() - started < 30  # a guard, not a timing assertion
    own = Argon2PasswordHasher(memory_kib=300_000)  # firegate's own parameters: checked
    assert own.verify(own.hash(password), password)


def test_a_password_that_does_not_match_an_imported_hash_is_told() -> None:
    told: list[str] = []
    hasher = Argon2PasswordHasher(mismatched=lambda kind: told.append(kind.value))
    password = random_password()
    for imported in (bcrypt_hash(password), django_hash(password)):
        assert hasher.verify(imported, password)
        assert not hasher.verify(imported, password + "!")
    assert not hasher.verify(hasher.hash(password), password + "!")  # firegate's own: not told
    assert told == ["bcrypt", "django-pbkdf2"]


def test_the_dummy_hash_is_made_beside_whoever_makes_the_hasher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker binding its services does not wait for the unknown user's dummy hash; the
    first check waits for it, and is timed like every other."""
    release = threading.Event()
    real = argon2.PasswordHasher.hash

    def held(self: argon2.PasswordHasher, password: str | bytes, **kwargs: Any) -> str:
        release.wait(10)
        return real(self, password, **kwargs)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", held)
    made: list[Argon2PasswordHasher] = []
    making = threading.Thread(target=lambda: made.append(Argon2PasswordHasher()))
    making.start()
    making.join(5)
    assert made, "the hasher waited for its dummy hash"
    release.set()
    hasher = made[0]
    hasher.verify_dummy("a wrong password")
    assert not hasher.verify(django_hash(random_password(), iterations=1), "a wrong password")
    assert hasher._argon2_seconds > 0  # the dummy's making timed argon2 here
