from __future__ import annotations

from pydantic import Field

from interfaces.http.schemas.common import Strict


class NativeTokenRequest(Strict):
    id_token: str = Field(
        min_length=1, max_length=16384, description="The provider's ID token, from its own SDK"
    )
    nonce: str = Field(
        min_length=1,
        max_length=512,
        description="The nonce the app gave the provider's SDK (the ID token must carry it)",
    )
