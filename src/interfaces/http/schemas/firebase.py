from __future__ import annotations

from pydantic import Field

from interfaces.http.schemas.common import Strict


class FirebaseExchangeRequest(Strict):
    id_token: str = Field(
        min_length=1,
        max_length=8192,
        description="A Firebase ID token: getIdToken() of the Firebase client SDK",
    )
