from __future__ import annotations

from pydantic import Field, field_validator

from interfaces.http.schemas.accounts.accounts import ChallengeToken
from interfaces.http.schemas.common import Schema, Strict, no_null


class FirebaseExchangeRequest(Strict):
    id_token: str = Field(
        min_length=1,
        max_length=8192,
        description="A Firebase ID token: getIdToken() of the Firebase client SDK",
    )
    challenge_token: str | None = ChallengeToken

    _not_null = field_validator("challenge_token", mode="before")(no_null)


class CustomTokenOut(Schema):
    custom_token: str = Field(
        description=(
            "A Firebase custom token for the caller (uid: the firegate user id; claim: role),"
            " valid for one hour: signInWithCustomToken() of the Firebase client SDK"
        )
    )
