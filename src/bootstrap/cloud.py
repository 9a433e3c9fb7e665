"""Adapters made with their client library by their first use in a worker: Firebase's,
Cloud Storage's, and the upstream providers' OpenID client.

gunicorn's master imports no cloud client library before it forks (firebase-admin, Cloud
Storage with gRPC): each worker imports its own. These two serve features a deployment may
not use (a Firebase sign-in, a file upload), and their libraries are 20 MiB of a worker's
memory and 0.15-0.2 s of its start; so a worker imports them when it first verifies a
Firebase token, mints a custom token or stores a file, as it imports Firestore's
(infrastructure/firestore/sdk.py; docs/decisions/0453-one-import-in-the-master.md). The
upstream providers' OpenID client (Authlib and requests under it, about 0.1 s of a start and
several MiB) is made by the first authorization, code exchange or native ID token
(docs/decisions/0530-protocol-stacks-loaded-when-used.md); it is the federation's
(``bootstrap/federation_cloud.py``), made on ``FirstUse`` as these are. Each class fits its
port, so mypy checks every call through it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import BinaryIO

from application.ports import CustomTokenMinter, ExternalIdentity, FileStore, IdentityVerifier


class FirstUse[T]:
    """An adapter made by ``make`` when first used, once, whichever thread asks first."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: T | None = None

    def adapter(self) -> T:
        made = self._made
        if made is None:
            with self._lock:  # one adapter, whichever thread first needs it
                if self._made is None:
                    self._made = self._make()
                made = self._made
        return made


class FirebaseIdentityVerifierOnFirstUse(FirstUse[IdentityVerifier]):
    def verify(self, id_token: str) -> ExternalIdentity:
        return self.adapter().verify(id_token)


class FirebaseCustomTokensOnFirstUse(FirstUse[CustomTokenMinter]):
    def mint(self, uid: str, claims: Mapping[str, object]) -> str:
        return self.adapter().mint(uid, claims)


class GcsFileStoreOnFirstUse(FirstUse[FileStore]):
    def save(self, key: str, data: BinaryIO, *, size: int, content_type: str) -> None:
        self.adapter().save(key, data, size=size, content_type=content_type)

    def open(self, key: str) -> Iterator[bytes]:
        return self.adapter().open(key)

    def delete(self, key: str) -> None:
        self.adapter().delete(key)

    def delete_prefix(self, prefix: str) -> int:
        return self.adapter().delete_prefix(prefix)
