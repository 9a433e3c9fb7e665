from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from interfaces.http.schemas.accounts import UserOut
from interfaces.http.schemas.common import Strict


class UserPublicOut(BaseModel):
    id: str
    username: str


class UserAdminOut(UserOut):
    disabled: bool


class UserShown(RootModel[UserAdminOut | UserOut | UserPublicOut]):
    """GET /users/{id}: every field for an admin; for oneself, the account's own fields
    (no disabled); for anybody else, id and username."""


class UserPage(BaseModel):
    items: list[UserAdminOut | UserOut | UserPublicOut]
    next_cursor: str | None


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(
        default=None,
        max_length=512,
        description="Opaque: the next_cursor of the previous page, as it was given",
        json_schema_extra={"pattern": "^[A-Za-z0-9_-]*$"},  # unpadded base64url
    )


class AdminUserChange(Strict):
    role: Literal["user", "uploader", "admin"] | None = None
    disabled: bool | None = None
