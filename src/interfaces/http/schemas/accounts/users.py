from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field, RootModel

from domain.accounts.users import User
from interfaces.http.schemas.accounts.accounts import UserOut, user_fields
from interfaces.http.schemas.common import PageOut, Schema, Strict


class UserPublicOut(Schema):
    id: str
    username: str


class UserAdminOut(UserOut):
    disabled: bool

    @classmethod
    def of(cls, user: User, attributes: Mapping[str, object]) -> UserAdminOut:
        """``attributes``: those of ``user`` an admin may read."""
        return cls(**user_fields(user, attributes), disabled=user.disabled)


class UserShown(RootModel[UserAdminOut | UserOut | UserPublicOut]):
    """GET /users/{id}: every field for an admin; for oneself, the account's own fields
    (no disabled); for anybody else, id and username."""

    model_config = ConfigDict(defer_build=True)  # as every Schema


class UserPage(PageOut[UserAdminOut | UserOut | UserPublicOut]):
    pass


class AdminUserChange(Strict):
    role: Literal["user", "uploader", "admin"] | None = None
    disabled: bool | None = None
    attributes: dict[str, Any] | None = Field(
        default=None,
        max_length=100,
        description="the profile's attributes to write as an admin (a null removes one)",
        examples=[{"department": "Sales"}],
    )
