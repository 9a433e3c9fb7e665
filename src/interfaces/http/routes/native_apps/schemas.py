"""An app's redemption of a code flow's link: its request (docs/reference/app-links.md); the
answer is the code's token pair."""

from __future__ import annotations

from pydantic import Field, field_validator

from interfaces.http.schemas.common import Strict, no_null, not_null


class RedeemLinkRequest(Strict):
    token: str = Field(
        min_length=1,
        max_length=64,
        description="The `token` of the link the app opened (`/app/sign-in?token=…`)",
        examples=["n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg"],
    )
    code_verifier: str | None = Field(
        default=None,
        max_length=128,
        description="The verifier whose S256 challenge the app asked for the code with",
        examples=["dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"],
        json_schema_extra=not_null,
    )

    _not_null = field_validator("code_verifier", mode="before")(no_null)
