"""What the Firestore emulator holds: documents counted, claims checked."""

from __future__ import annotations

from typing import Any

from infrastructure.firestore.client import claim_id


def assert_claims_match_live_users(firestore: Any) -> None:
    """Each live user holds exactly the claims of its names, and no claim points elsewhere."""
    users = {s.id: s.to_dict() for s in firestore.collection("users").stream()}
    live = {uid: data for uid, data in users.items() if data.get("deleted_at") is None}
    for collection, field in (("usernames", "username_normalized"), ("emails", "email_normalized")):
        claims = {s.id: s.get("user_id") for s in firestore.collection(collection).stream()}
        assert claims == {claim_id(data[field]): uid for uid, data in live.items()}, collection


def count(firestore: Any, collection: str) -> int:
    return sum(1 for _ in firestore.collection(collection).select([]).stream())
