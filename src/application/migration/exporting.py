"""``users export``: every account in the shape ``users import --format jsonl`` reads, its
password hash as stored (argon2id, or the imported hash not yet re-hashed), its role,
verified flag and linked identities; never a token, session, TOTP secret or passkey
(docs/migrating.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from application.migration.ports import UserMoves
from application.migration.records import to_jsonl

PAGE = 500


def export_users(*, moves: UserMoves) -> Iterator[dict[str, Any]]:
    """Each live user, by id, read a page at a time."""
    for user, links in moves.stream(PAGE):
        yield to_jsonl(user, links)
