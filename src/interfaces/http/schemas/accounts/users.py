from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, RootModel

from domain.accounts.users import User
from interfaces.http.schemas.accounts.accounts import UserOut, user_fields
from interfaces.http.schemas.common import PageOut, Schema, Strict


class UserPublicOut(Schema):
    id: str
    username: str


class UserAdminOut(UserOut):
    disabled: bool

    @classmethod
    def of(cls, user: User) -> UserAdminOut:
        return cls(**user_fields(user), disabled=user.disabled)


class UserShown(RootModel[UserAdminOut | UserOut | UserPublicOut]):
    """GET /users/{id}: every field for an admin; for oneself, the account's own fields
    (no disabled); for anybody else, id and username."""

    model_config = ConfigDict(defer_build=True)  # as every Schema


class UserPage(PageOut[UserAdminOut | UserOut | UserPublicOut]):
    pass


class AdminUserChange(Strict):
    role: Literal["user", "uploader", "admin"] | None = None
    disabled: bool | None = None
