from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from domain.accounts.guest.part import Guest
from domain.accounts.identities import PhoneNumber
from domain.accounts.users import User
from interfaces.http.schemas.accounts.addresses import new_address
from interfaces.http.schemas.common import (
    Schema,
    Strict,
    no_null,
    not_null,
    single_line,
)

Username = Field(min_length=3, max_length=32, examples=["alice"])
Password = Field(min_length=8, max_length=128)
Name = Field(default=None, max_length=100, json_schema_extra=single_line)


# The challenge's widget's token, where a 401 challenge_required asked for one (docs/security.md)
ChallengeToken = Field(default=None, min_length=1, max_length=4096, json_schema_extra=not_null)


class RegisterRequest(Strict):
    username: str = Username
    email: str = new_address("alice@example.com")
    password: str = Password
    name: str | None = Name
    last_name: str | None = Name
    challenge_token: str | None = ChallengeToken

    _not_null = field_validator("challenge_token", mode="before")(no_null)


class LoginRequest(Strict):
    username: str = Field(
        min_length=1, max_length=320, description="A username or an e-mail address"
    )
    password: str = Field(min_length=1, max_length=1024)
    challenge_token: str | None = ChallengeToken

    _not_null = field_validator("challenge_token", mode="before")(no_null)


class LoginForm(LoginRequest):
    """OAuth2 password grant (RFC 6749 §4.3), form-encoded; client fields are ignored."""

    model_config = ConfigDict(extra="forbid", strict=False)
    # A form field is sent or not; it cannot be null.
    grant_type: Literal["password"] | None = Field(default=None, json_schema_extra=not_null)
    scope: str | None = Field(default=None, max_length=1024, json_schema_extra=not_null)
    client_id: str | None = Field(default=None, max_length=256, json_schema_extra=not_null)
    client_secret: str | None = Field(default=None, max_length=256, json_schema_extra=not_null)


class ReplaceUserRequest(Strict):
    """PUT /user: at least one of username/email; omitted name fields are cleared."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["username"]}, {"required": ["email"]}]}
    )
    username: str | None = Field(
        default=None, min_length=3, max_length=32, json_schema_extra=not_null
    )  # null: 422 null_not_allowed
    email: str | None = new_address("alice@example.com", nullable=True)
    name: str | None = Name
    last_name: str | None = Name
    locale: Literal["en", "es"] | None = Field(
        default=None, description="the language of the pages and mails; null: the browser's"
    )
    attributes: dict[str, Any] | None = Field(
        default=None,
        max_length=100,
        json_schema_extra=not_null,
        description=(
            "the profile's attributes to write (a null removes one); the others stay as they "
            "are, with PUT too (docs/reference/accounts.md, Profile attributes)"
        ),
        examples=[{"floor": 3}],
    )


class PatchUserRequest(ReplaceUserRequest):
    """PATCH /user: only the fields given change; ``phone_number`` goes alone (with the
    challenge's token where one was asked) and changes nothing yet: a code is texted to it."""

    model_config = ConfigDict(json_schema_extra=None)  # any subset of the fields, {} too
    phone_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        json_schema_extra=not_null,
        examples=["+33612345678"],
        description=(
            "A new number, in E.164 or as typed with its country code: 202, a code is texted "
            "to it, and POST /user/phone/verify proves it (docs/reference/phone.md)"
        ),
    )
    challenge_token: str | None = ChallengeToken

    _not_null = field_validator("challenge_token", "phone_number", mode="before")(no_null)


class ChangePasswordRequest(Strict):
    current_password: str | None = Field(
        None,
        min_length=1,
        max_length=1024,
        description="required, unless the account has no password yet (its first one)",
    )
    new_password: str = Password


class UserOut(Schema):
    id: str
    username: str | None = Field(description="null for a guest only (docs/guests.md)")
    email: str | None = Field(description="null for an account made without an address")
    email_verified: bool = Field(description="Has the owner answered a mail sent there?")
    phone_number: str | None = Field(description="E.164; null for an account without one")
    phone_number_verified: bool = Field(description="Has the owner entered a code texted there?")
    name: str | None
    last_name: str | None
    locale: Literal["en", "es"] | None = Field(
        description="the language of the pages and mails; null: the browser's"
    )
    role: Literal["user", "uploader", "admin"]
    attributes: dict[str, Any] = Field(
        description="the profile's attributes the caller may read (its schema's x-read)"
    )
    created_at: datetime
    updated_at: datetime
    guest: bool = Field(description="an account made before its person signed up")

    @classmethod
    def of(cls, user: User, attributes: Mapping[str, object]) -> UserOut:
        """``attributes``: those of ``user`` the caller may read."""
        return cls(**user_fields(user, attributes))


def user_fields(user: User, attributes: Mapping[str, object]) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username.value if user.username is not None else None,
        "email": user.email.value if user.email else None,
        "email_verified": user.email_verified,
        "phone_number": user.part(PhoneNumber).number,
        "phone_number_verified": user.part(PhoneNumber).verified,
        **user.texts(),
        "locale": user.locale,
        "role": user.role.value,
        "attributes": dict(attributes),
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "guest": user.part(Guest).is_guest,
    }


class TokenOut(Schema):
    """OAuth2 token response (RFC 6749 §5.1)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires")


class LoginOut(TokenOut):
    """The token response of a password login, with the client's device token."""

    device_token: str = Field(
        description=(
            "Send it back with later logins (header Device-Token; browsers get it as an "
            "httpOnly cookie too): a login that carries it is not stopped by the account-wide "
            "block that failed logins from elsewhere can cause"
        )
    )


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=1, max_length=512)


class AccessTokenOut(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class ActiveOrgOut(Schema):
    """The session's active org as stored now (docs/reference/orgs.md)."""

    id: str
    slug: str
    roles: list[str]
    permissions: list[str] = Field(description="Sorted: the union of the roles' permissions")


class WhoAmIOut(Schema):
    user_id: str
    username: str
    role: Literal["user", "uploader", "admin"]
    session_id: str
    expires_at: datetime = Field(description="When the presented access token expires")
    amr: list[str] = Field(
        description='How the session was authenticated (RFC 8176): "pwd", "otp", "fed", ...'
    )
    org: ActiveOrgOut | None = Field(
        default=None,
        description="The org the session acts in, as stored now: null when none (or no more)",
    )
    password_change_required: bool = Field(
        default=False,
        description="A sign-in found the account's password among breached ones: ask for a "
        "new one (PUT /user/password) first",
    )


class LogoutQuery(Schema):
    model_config = ConfigDict(extra="forbid")
    all: bool = Field(default=False, description="End every session of the user")


class PhoneChangeOut(Schema):
    """202: a code is on its way to the new number; the account keeps its number until
    POST /user/phone/verify proves the new one."""

    expires_in: int = Field(examples=[600], description="Seconds the code is good for")
