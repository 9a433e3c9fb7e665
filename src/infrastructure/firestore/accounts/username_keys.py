"""Moves username claims to the current key rule (docs/decisions/0052-look-alike-usernames.md).

Claims are keyed by ``Username.normalized``. When the rule that makes it changes, every
stored claim under an older key must move, or its account cannot sign in by username and
its old key blocks nothing. Run once after deploying a new rule (and again after the last
instance of the old code stopped): it is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.accounts.users import Username
from infrastructure.firestore.accounts.users import USERNAMES, USERS
from infrastructure.firestore.client import BOUNDED, claim_id
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore


@dataclass
class RekeyReport:
    moved: int = 0
    unchanged: int = 0
    # (user id, username, id of the account that holds the new key): the older account
    # keeps the name; these sign in by e-mail until they pick another username.
    collisions: list[tuple[str, str, str]] = field(default_factory=list)


def rekey_username_claims(client: firestore.Client) -> RekeyReport:
    report = RekeyReport()
    # Read in document order: ``created_at`` has no index (docs/decisions/
    # 0356-queries-held-against-their-indexes.md). The accounts whose claim moves are moved
    # oldest first, so that of two whose names now share a key the older keeps it.
    moving: list[tuple[datetime, str, str, str | None, str]] = []
    read = ["username", "username_normalized", "deleting", "created_at"]
    for snap in client.collection(USERS).select(read).stream(**BOUNDED):
        data = snap.to_dict() or {}
        if data.get("deleting"):
            continue
        key = Username(data["username"]).normalized
        if data.get("username_normalized") == key:
            report.unchanged += 1
            continue
        old_key = data.get("username_normalized")
        moving.append((data["created_at"], snap.id, data["username"], old_key, key))
    for _, user_id, username, old_key, key in sorted(moving):
        holder = _move(client, user_id, old_key, key)
        if holder == user_id:
            report.moved += 1
        else:
            report.collisions.append((user_id, username, holder))
    return report


def _move(client: firestore.Client, user_id: str, old_key: str | None, key: str) -> str:
    """Moves the user's claim to ``key``; the id of the account holding ``key`` after it.

    Compare-and-set, as every other change of claims (docs/decisions/
    0060-renames-by-compare-and-set.md): the claims are read without a lock, and one commit
    creates the new claim (AlreadyExists if another took it meanwhile: read again, and its
    holder keeps it), deletes the old one unless it changed since it was read, and updates
    the account."""
    claims = client.collection(USERNAMES)
    new_ref = claims.document(claim_id(key))
    old_ref = claims.document(claim_id(old_key)) if old_key else None
    user_ref = client.collection(USERS).document(user_id)

    def attempt() -> str:
        refs = [new_ref] + ([old_ref] if old_ref is not None else [])
        found = {s.reference.path: s for s in client.get_all(refs, **BOUNDED)}
        held = found.get(new_ref.path)
        holder = (held.to_dict() or {}).get("user_id") if held is not None and held.exists else None
        if holder not in (None, user_id):
            return str(holder)
        batch = client.batch()
        if holder is None:
            batch.create(new_ref, {"user_id": user_id, "kind": USERNAMES})
        old = found.get(old_ref.path) if old_ref is not None else None
        if old is not None and old.exists and (old.to_dict() or {}).get("user_id") == user_id:
            batch.delete(old.reference, option=unchanged_since(old))
        batch.update(user_ref, {"username_normalized": key})
        try:
            batch.commit(**BOUNDED)
        except exceptions.AlreadyExists:
            raise Stale from None  # the new key was claimed meanwhile: its holder keeps it
        return user_id

    return until_unchanged(attempt)
