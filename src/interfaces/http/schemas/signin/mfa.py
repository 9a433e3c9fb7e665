"""The second factor's request and response bodies (docs/reference/mfa.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from application.signin.factors.totp import TotpEnrolment
from interfaces.http.schemas.accounts.accounts import TokenOut
from interfaces.http.schemas.common import Problem, Schema, Strict, no_null, not_null
from interfaces.shared.qr import qr_svg

CurrentPassword = Field(
    None,
    min_length=1,
    max_length=1024,
    description="The account's password; left out by an account that has none, for which a "
    "recent sign-in stands in (403 reauthentication_required without one)",
)
TotpCode = Field(
    pattern=r"^[0-9]{6}$", examples=["492039"], description="A code from the authenticator app"
)
RecoveryCode = Field(
    min_length=12,
    max_length=32,
    examples=["k7qz-m2xa-p4rt"],
    description="One of the recovery codes (hyphens, spaces and case do not matter)",
)
AnyCode = Field(
    min_length=6,
    max_length=32,
    examples=["492039"],
    description="A code from the authenticator app, or a recovery code",
)


class PasswordRequest(Strict):
    password: str | None = CurrentPassword


class CodeRequest(Strict):
    code: str = TotpCode


class PasswordAndCodeRequest(Strict):
    password: str | None = CurrentPassword
    code: str = AnyCode


class MfaLoginRequest(Strict):
    """Exactly one of ``code`` and ``recovery_code``."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["code"], "not": {"required": ["recovery_code"]}},
                {"required": ["recovery_code"], "not": {"required": ["code"]}},
            ]
        }
    )
    mfa_token: str = Field(
        min_length=1, max_length=128, description="From the 401 mfa_required answer of the login"
    )
    code: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", examples=["492039"], json_schema_extra=not_null
    )
    recovery_code: str | None = Field(
        default=None, min_length=12, max_length=32, json_schema_extra=not_null
    )

    _not_null = field_validator("code", "recovery_code", mode="before")(no_null)


class TotpEnrolmentOut(Schema):
    secret: str = Field(description="Base32; for typing into an app that cannot scan")
    otpauth_uri: str = Field(examples=["otpauth://totp/firegate:alice?secret=...&issuer=firegate"])
    qr_svg: str = Field(description="The otpauth URI as a QR code, an SVG document")

    @classmethod
    def of(cls, enrolment: TotpEnrolment) -> TotpEnrolmentOut:
        return cls(
            secret=enrolment.secret,
            otpauth_uri=enrolment.otpauth_uri,
            qr_svg=qr_svg(enrolment.otpauth_uri),
        )


class RecoveryCodesOut(Schema):
    recovery_codes: list[str] = Field(
        min_length=10, max_length=10, description="Shown this once; each works once"
    )


class LoginProblem(Problem):
    """401: ``invalid_credentials``, or ``mfa_required`` with the two extension members."""

    mfa_token: str | None = Field(
        default=None, description="mfa_required: send it to POST /login/mfa within 5 minutes"
    )
    methods: list[Literal["totp", "recovery_code"]] | None = Field(
        default=None, description="mfa_required: what POST /login/mfa accepts"
    )


class MfaLoginOut(TokenOut):
    """The token response of the second step; ``device_token`` when the first was a password."""

    device_token: str | None = Field(
        default=None, description="As from POST /login: send it back with later logins"
    )
