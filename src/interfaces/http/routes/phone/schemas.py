"""Sign-in by a code sent by text message: its requests (docs/sign-in-with-a-phone-number.md); the
answers are the e-mail code's."""

from __future__ import annotations

from pydantic import Field, field_validator

from interfaces.http.schemas.accounts.accounts import ChallengeToken
from interfaces.http.schemas.common import Strict, no_null
from interfaces.http.schemas.signin.email_code import CodeChallenged, FlowId


class PhoneCodeRequest(CodeChallenged):
    phone_number: str = Field(
        min_length=1,
        max_length=32,
        examples=["+33612345678"],
        description="The number in E.164, or as typed with its country code",
    )
    challenge_token: str | None = ChallengeToken

    _not_null = field_validator("challenge_token", mode="before")(no_null)


class VerifyPhoneCodeRequest(Strict):
    flow_id: str = FlowId
    code: str = Field(
        min_length=1, max_length=16, examples=["042917"], description="The text's 6 digits"
    )


class ProvePhoneNumberRequest(Strict):
    code: str = Field(
        min_length=1, max_length=16, examples=["042917"], description="The text's 6 digits"
    )
