from __future__ import annotations

from pydantic import ConfigDict, Field

from interfaces.http.schemas.common import Schema


class PushMessage(Schema):
    model_config = ConfigDict(extra="ignore")
    data: str = Field(default="", max_length=65_536, description="The job, base64")


class PushEnvelope(Schema):
    """What a Pub/Sub push subscription sends (fields we do not use are ignored)."""

    model_config = ConfigDict(extra="ignore")
    message: PushMessage
    subscription: str = ""
    deliveryAttempt: int | None = Field(default=None, ge=1)  # noqa: N815 - Pub/Sub's name
