"""The mail flows' requests (docs/reference/email.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import EmailStr, Field

from domain.link_tokens import TOKEN_MAX_CHARS
from interfaces.http.schemas.accounts.accounts import Name, Password, Username
from interfaces.http.schemas.accounts.addresses import new_address
from interfaces.http.schemas.common import Schema, Strict

Token = Field(
    min_length=1,
    max_length=TOKEN_MAX_CHARS,
    description="The token of the mail's link (its ?token= parameter)",
    examples=["q3Zt0lB1X5mH8cVxg7s2N9rEwYpKf4aJ6uTdLoQiWzM"],
)


class VerifyEmailRequest(Strict):
    token: str = Token


class ForgotPasswordRequest(Strict):
    email: EmailStr = Field(examples=["alice@example.com"])


class ResetPasswordRequest(Strict):
    token: str = Token
    new_password: str = Password


class InvitationRequest(Strict):
    username: str = Username
    email: str = new_address("bob@example.com")
    name: str | None = Name
    last_name: str | None = Name
    role: Literal["user", "uploader", "admin"] | None = None


class Accepted(Schema):
    """202: the request is taken; a mail may follow."""
