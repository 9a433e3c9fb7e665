"""argon2id password hashing with a per-process cap on concurrent hashes; the imported
hashes of other systems (infrastructure/accounts/foreign_hashes.py) are checked on the same threads,
under the same cap and in no less time than an argon2 check (docs/migrating.md)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from domain.accounts.password_hashes import HashKind, kind_of, too_costly
from domain.errors import Unavailable
from infrastructure.accounts.foreign_hashes import verify_foreign

# OWASP's minimum for argon2id; docs/decisions/0002-argon2id-parameters.md allows nothing weaker.
MIN_TIME_COST, MIN_MEMORY_KIB, MIN_PARALLELISM = 2, 19456, 1
T = TypeVar("T")


class Argon2PasswordHasher:
    def __init__(
        self,
        *,
        time_cost: int = MIN_TIME_COST,
        memory_kib: int = MIN_MEMORY_KIB,
        parallelism: int = MIN_PARALLELISM,
        max_concurrent: int = 2,
        wait_seconds: float = 10.0,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
        waited: Callable[[float], None] | None = None,
        mismatched: Callable[[HashKind], None] | None = None,
    ) -> None:
        if time_cost < MIN_TIME_COST or memory_kib < MIN_MEMORY_KIB or parallelism < 1:
            raise ValueError("argon2 parameters below m=19 MiB, t=2, p=1 are not allowed")
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        # Each hash holds memory_kib of RAM; a burst of logins queues here instead of
        # multiplying memory by the number of threads.
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._wait = wait_seconds
        # ...and the hashes run on max_concurrent threads of their own: glibc keeps a freed
        # 19 MiB argon2 block in the malloc arena of the thread that used it, so hashing on
        # each of gunicorn's 8 request threads left a worker at ~255 MiB after a burst of
        # logins instead of ~120 (docs/decisions/0003-hashing-on-dedicated-threads.md).
        # The first thread starts with the dummy hash below, when the hasher is made: in a
        # worker, after gunicorn's fork (the services are bound there, never before it).
        self._pool = ThreadPoolExecutor(max_concurrent, thread_name_prefix="argon2")
        # The timing of imported hashes' checks: a clock in seconds and a way to wait.
        self._clock, self._sleep = clock, sleep
        # Told how long each hash or check waited for a slot (the argon2 queue wait's
        # histogram, docs/operations.md); None: not measured.
        self._waited = waited
        # Told the kind of each imported hash of another system a password did not match
        # (infrastructure/accounts/foreign_hashes.py logs and counts them); None: not told.
        self._mismatched = mismatched
        # How long an argon2 check with firegate's own parameters takes here (a hash costs
        # the same), the last one seen: a quicker check of an imported hash waits out the
        # rest, so that a wrong password of an imported account takes as long as an unknown
        # user's; a slower one (bcrypt of a high cost) takes its own time and no more. Only
        # a check of a hash made with this hasher's parameters (the dummy's, or one it made)
        # sets it: an imported argon2 hash of other parameters never moves it. First set by
        # the dummy hash's making.
        self._argon2_seconds = 0.0
        # The dummy hash (an unknown user's check) is made on a hashing thread, where argon2
        # lets go of the GIL: a worker binding its services goes on beside it instead of
        # waiting (docs/benchmarks.md, "Cold start"). Every check waits for it first.
        self._dummy = self._pool.submit(self._made_dummy)

    def _made_dummy(self) -> str:
        started = self._clock()
        made = self._hasher.hash(secrets.token_urlsafe(16))
        self._argon2_seconds = self._clock() - started
        return made

    def _run(self, work: Callable[[], T]) -> T:
        waited, queued = self._waited, time.perf_counter()
        if not self._slots.acquire(timeout=self._wait):
            if waited is not None:
                waited(time.perf_counter() - queued)
            raise Unavailable("Too many logins in progress; try again shortly.", retry_after=1)
        if waited is not None:
            waited(time.perf_counter() - queued)
        try:
            return self._pool.submit(work).result()
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        return self._run(lambda: self._hasher.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        dummy = self._dummy.result()  # and with it the first time an argon2 check takes
        kind = kind_of(password_hash)
        if too_costly(password_hash) and not self._own(password_hash):
            # Stored before an import refused such hashes: never checked, so that it cannot
            # hold a hashing thread for longer than any other wrong password.
            self.verify(dummy, password)
            return False
        if kind is not None and kind is not HashKind.ARGON2:
            started = self._clock()
            matched = self._run(lambda: verify_foreign(password_hash, password))
            # Outside the slot: the wait holds no thread of the pool and no hash's memory.
            rest = self._argon2_seconds - (self._clock() - started)
            if rest > 0:
                self._sleep(rest)
            if not matched and self._mismatched is not None:
                self._mismatched(kind)
            return matched
        own = self._own(password_hash)

        def check() -> bool:
            started = self._clock()
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False
            finally:
                took = self._clock() - started
                if own:  # the padding reference: firegate's own parameters only
                    self._argon2_seconds = took

        return self._run(check)

    def _own(self, password_hash: str) -> bool:
        """Made with this hasher's own parameters (argon2id, its m, t and p)?"""
        try:
            return kind_of(
                password_hash
            ) is HashKind.ARGON2 and not self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False

    def verify_dummy(self, password: str) -> None:
        self.verify(self._dummy.result(), password)

    def needs_rehash(self, password_hash: str) -> bool:
        if kind_of(password_hash) is not HashKind.ARGON2:
            return True  # an imported hash of another kind: argon2id at the first sign-in
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
