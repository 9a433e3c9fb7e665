"""One Firestore client per process, built after gunicorn forks (gRPC does not survive fork)."""

from __future__ import annotations

import os

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

# Every call gets a deadline, so a Firestore outage turns into a 503 instead of a hang.
DEADLINE_SECONDS = 10.0


def make_client(project: str) -> firestore.Client:
    if os.environ.get("FIRESTORE_EMULATOR_HOST"):
        return firestore.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return firestore.Client(project=project)


def claim_id(normalized: str) -> str:
    """A valid, injective document id for a normalized name or e-mail address.

    Ids may not contain '/' nor match ``__.*__``; e-mail local parts may contain both.
    """
    escaped = normalized.replace("%", "%25").replace("/", "%2F")
    if escaped.startswith("__") and escaped.endswith("__"):
        escaped = "%5F" + escaped[1:]
    return escaped
