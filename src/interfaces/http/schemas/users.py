from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from interfaces.http.schemas.accounts import UserOut
from interfaces.http.schemas.common import PageOut, Strict


class UserPublicOut(BaseModel):
    id: str
    username: str


class UserAdminOut(UserOut):
    disabled: bool


class UserPage(PageOut[UserAdminOut | UserOut | UserPublicOut]):
    pass


class AdminUserChange(Strict):
    role: Literal["user", "uploader", "admin"] | None = None
    disabled: bool | None = None
