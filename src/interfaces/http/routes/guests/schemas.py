"""The body of ``POST /auth/guest`` (docs/guests.md)."""

from __future__ import annotations

from pydantic import field_validator

from interfaces.http.schemas.accounts.accounts import ChallengeToken
from interfaces.http.schemas.common import Strict, no_null


class GuestRequest(Strict):
    """Optional: an empty body is one without a challenge's token."""

    challenge_token: str | None = ChallengeToken

    _not_null = field_validator("challenge_token", mode="before")(no_null)
