"""Auth hooks' API shapes (docs/reference/auth-hooks.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from domain.hooks.auth_hooks import (
    DEFAULT_TIMEOUT_MS,
    MAX_TIMEOUT_MS,
    AuthHook,
    HookCall,
    HookKind,
    OnFailure,
)
from domain.public_urls import MAX_URL_LENGTH
from interfaces.http.schemas.common import URL_PATTERN, Schema, Strict, whole

# Checked by the use case, each with its own code (docs/reference/errors.md); listed here for
# clients.
Kind = Annotated[str, WithJsonSchema({"type": "string", "enum": [k.value for k in HookKind]})]
Failure = Annotated[str, WithJsonSchema({"type": "string", "enum": [f.value for f in OnFailure]})]
Timeout = Annotated[
    int,
    BeforeValidator(whole),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_MS}),
]


class AuthHookSet(Strict):
    kind: Kind = Field(description="Where firegate calls it; it replaces the kind's hook")
    url: str = Field(
        max_length=MAX_URL_LENGTH,
        description="https and a public host (http and loopback in the local profile only)",
        json_schema_extra={"pattern": URL_PATTERN},
    )
    timeout_ms: Timeout = Field(
        default=DEFAULT_TIMEOUT_MS,
        description="The call's deadline: no whole answer by then is a failure",
    )
    on_failure: Failure = Field(
        default="allow",
        description="A failed call: go on as if there were no hook (allow), or refuse (deny)",
    )


class HookCallOut(Schema):
    time: datetime
    duration_ms: int
    outcome: Literal["ok", "timeout", "unreachable", "status", "bad_answer"]
    status: int | None = Field(description="The receiver's HTTP status; null without an answer")
    error: str | None = Field(description="Why the call failed, e.g. deadline_exceeded")

    @classmethod
    def of(cls, call: HookCall) -> HookCallOut:
        return cls(
            time=call.at,
            duration_ms=call.duration_ms,
            outcome=call.outcome.value,
            status=call.status,
            error=call.error,
        )


class AuthHookOut(Schema):
    id: str
    kind: str
    url: str
    timeout_ms: int
    on_failure: str
    created_at: datetime

    @classmethod
    def of(cls, hook: AuthHook) -> AuthHookOut:
        return cls(
            id=hook.hook_id,
            kind=hook.kind.value,
            url=hook.url,
            timeout_ms=hook.timeout_ms,
            on_failure=hook.on_failure.value,
            created_at=hook.created_at,
        )


class AuthHookCreated(AuthHookOut):
    secret: str = Field(
        description="whsec_…: verifies the signatures; shown here only", examples=["whsec_…"]
    )
    replaced: str | None = Field(description="The id of the kind's hook this one replaced")


class AuthHookWithCalls(AuthHookOut):
    calls: list[HookCallOut] = Field(description="Its latest calls, newest first (at most 100)")


class AuthHookList(Schema):
    items: list[AuthHookWithCalls]
