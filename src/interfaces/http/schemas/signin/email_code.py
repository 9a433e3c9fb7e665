"""Sign-in by a mailed code: its requests and answers (docs/reference/email-code.md)."""

from __future__ import annotations

from pydantic import EmailStr, Field, field_validator

from interfaces.http.schemas.accounts.accounts import ChallengeToken
from interfaces.http.schemas.common import Schema, Strict, no_null

FlowId = Field(
    min_length=1,
    max_length=64,
    description="The flow_id the request for a code answered",
    examples=["3f8a1c2e9b7d4e6fa0b1c2d3e4f5a6b7"],
)


class EmailCodeRequest(Strict):
    email: EmailStr = Field(examples=["alice@example.com"])
    challenge_token: str | None = ChallengeToken

    _not_null = field_validator("challenge_token", mode="before")(no_null)


class EmailCodeOut(Schema):
    """202: the code is on its way to the address, if a mail may go there."""

    flow_id: str = Field(examples=["3f8a1c2e9b7d4e6fa0b1c2d3e4f5a6b7"])
    expires_in: int = Field(examples=[600], description="Seconds the code is good for")


class VerifyEmailCodeRequest(Strict):
    flow_id: str = FlowId
    code: str = Field(
        min_length=1, max_length=16, examples=["042917"], description="The mail's 6 digits"
    )
