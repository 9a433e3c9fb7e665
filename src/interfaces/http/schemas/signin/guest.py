"""The body of ``POST /auth/guest/upgrade`` (docs/guests.md); ``POST /auth/guest``'s is the
guests unit's (routes/guests/schemas.py)."""

from __future__ import annotations

from pydantic import field_validator

from interfaces.http.schemas.accounts.accounts import ChallengeToken, Password, Username
from interfaces.http.schemas.accounts.addresses import new_address
from interfaces.http.schemas.common import Strict, no_null


class GuestUpgradeRequest(Strict):
    """``POST /auth/guest/upgrade``: the guest signs up in place, keeping its id."""

    username: str = Username
    email: str = new_address("alice@example.com")
    password: str = Password
    challenge_token: str | None = ChallengeToken

    _not_null = field_validator("challenge_token", mode="before")(no_null)
