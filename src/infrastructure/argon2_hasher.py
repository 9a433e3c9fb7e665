"""argon2id password hashing with a per-process cap on concurrent hashes."""

from __future__ import annotations

import secrets
import threading

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import Unavailable

# OWASP's minimum for argon2id; SPEC §3 forbids anything weaker.
MIN_TIME_COST, MIN_MEMORY_KIB, MIN_PARALLELISM = 2, 19456, 1


class Argon2PasswordHasher:
    def __init__(
        self,
        *,
        time_cost: int = MIN_TIME_COST,
        memory_kib: int = MIN_MEMORY_KIB,
        parallelism: int = MIN_PARALLELISM,
        max_concurrent: int = 2,
        wait_seconds: float = 10.0,
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
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def _acquire(self) -> None:
        if not self._slots.acquire(timeout=self._wait):
            raise Unavailable("Too many logins in progress; try again shortly.", retry_after=1)

    def hash(self, password: str) -> str:
        self._acquire()
        try:
            return self._hasher.hash(password)
        finally:
            self._slots.release()

    def verify(self, password_hash: str, password: str) -> bool:
        self._acquire()
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        finally:
            self._slots.release()

    def verify_dummy(self, password: str) -> None:
        self.verify(self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
