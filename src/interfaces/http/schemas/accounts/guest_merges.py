"""The bodies of a guest's merge (docs/guests.md, "When the way in is someone else's")."""

from __future__ import annotations

from pydantic import Field

from application.accounts.guest.merges import MERGE_TOKEN_MAX_CHARS
from interfaces.http.schemas.common import Schema, Strict


class GuestMergeRequest(Strict):
    merge_token: str = Field(
        min_length=1,
        max_length=MERGE_TOKEN_MAX_CHARS,
        description="The merge_token of the 409 account_exists a guest's upgrade answered",
    )


class GuestMergeAccepted(Schema):
    """202: the guest is being merged; its data arrives shortly, then the guest is gone."""
