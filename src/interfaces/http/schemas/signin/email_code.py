"""Sign-in by a mailed code: its requests and answers (docs/reference/email-code.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import EmailStr, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from interfaces.http.schemas.accounts.accounts import ChallengeToken
from interfaces.http.schemas.common import Schema, Strict, no_null, not_null

FlowId = Field(
    min_length=1,
    max_length=64,
    description="The flow_id the request for a code answered",
    examples=["3f8a1c2e9b7d4e6fa0b1c2d3e4f5a6b7"],
)


# An app's PKCE challenge (RFC 7636, S256): its flow's link then opens the app, which redeems
# it with the verifier (docs/reference/app-links.md)
CodeChallenge = Field(
    default=None,
    min_length=43,
    max_length=43,
    pattern=r"^[A-Za-z0-9_-]{43}$",
    description="base64url (no padding) of the SHA-256 of the app's code_verifier",
    examples=["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"],
    json_schema_extra=not_null,
)
CodeChallengeMethod = Field(
    default=None, description="S256, the only method (the default)", json_schema_extra=not_null
)


class CodeChallenged(Strict):
    """The fields of an app's request for a code: its challenge and the challenge's method."""

    code_challenge: str | None = CodeChallenge
    code_challenge_method: Literal["S256"] | None = CodeChallengeMethod

    _challenge_not_null = field_validator("code_challenge", "code_challenge_method", mode="before")(
        no_null
    )

    @field_validator("code_challenge_method")
    @classmethod
    def _with_a_challenge(cls, method: str | None, info: ValidationInfo) -> str | None:
        """A method names how a challenge was made: alone, it asks for nothing."""
        if method is not None and info.data.get("code_challenge") is None:
            raise PydanticCustomError(
                "code_challenge_required", "A code_challenge_method needs a code_challenge."
            )
        return method


class EmailCodeRequest(CodeChallenged):
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
