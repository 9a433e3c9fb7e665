from __future__ import annotations

from pydantic import Field

from interfaces.http.schemas.common import Strict


class SwitchOrgRequest(Strict):
    org: str | None = Field(
        min_length=1,
        max_length=64,
        description="The org's id or slug; null: act in no org",
    )
