from __future__ import annotations

from pydantic import Field

from interfaces.http.schemas.common import Schema, Strict


class FirebaseExchangeRequest(Strict):
    id_token: str = Field(
        min_length=1,
        max_length=8192,
        description="A Firebase ID token: getIdToken() of the Firebase client SDK",
    )


class CustomTokenOut(Schema):
    custom_token: str = Field(
        description=(
            "A Firebase custom token for the caller (uid: the firegate user id; claim: role),"
            " valid for one hour: signInWithCustomToken() of the Firebase client SDK"
        )
    )
