"""Auth hooks' API shapes (docs/reference/auth-hooks.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from domain.hooks.auth_hooks import (
    DEFAULT_TIMEOUT_MS,
    MAX_HOOKS_PER_KIND,
    MAX_ORDER,
    MAX_SCOPE_ENTRIES,
    MAX_TIMEOUT_MS,
    AuthHook,
    HookCall,
    OnFailure,
)
from domain.public_urls import MAX_URL_LENGTH
from interfaces.http.schemas.common import URL_PATTERN, Schema, Strict, whole

# Checked by the use case, each with its own code (docs/reference/errors.md); listed here for
# clients, but for the kinds, which the units lend (a 400 unknown_hook_kind names them).
Kind = Annotated[
    str,
    WithJsonSchema({"type": "string", "description": "A hook kind (docs/hooks.md)"}),
]
Failure = Annotated[str, WithJsonSchema({"type": "string", "enum": [f.value for f in OnFailure]})]
Timeout = Annotated[
    int,
    BeforeValidator(whole),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_MS}),
]


Order = Annotated[
    int,
    BeforeValidator(whole),
    WithJsonSchema({"type": "integer", "minimum": -MAX_ORDER, "maximum": MAX_ORDER}),
]
ScopeIds = Annotated[
    list[str],
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 200},
            "maxItems": MAX_SCOPE_ENTRIES,
        }
    ),
]


class AuthHookSet(Strict):
    kind: Kind = Field(
        description=f"Where firegate calls it; a kind has at most {MAX_HOOKS_PER_KIND} hooks"
    )
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
    order: Order = Field(
        default=0, description="Where it is asked among its kind's hooks: lower first, ties by age"
    )
    clients: ScopeIds = Field(
        default_factory=list,
        description="The OAuth client ids it applies to (empty: every call; a call about no "
        "client: none of a hook that names clients)",
    )
    orgs: ScopeIds = Field(
        default_factory=list,
        description="The org ids it applies to (empty: every call; a call about no org: none "
        "of a hook that names orgs)",
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
    order: int
    clients: list[str]
    orgs: list[str]
    created_at: datetime

    @classmethod
    def of(cls, hook: AuthHook) -> AuthHookOut:
        return cls(
            id=hook.hook_id,
            kind=hook.kind,
            url=hook.url,
            timeout_ms=hook.timeout_ms,
            on_failure=hook.on_failure.value,
            order=hook.order,
            clients=list(hook.clients),
            orgs=list(hook.orgs),
            created_at=hook.created_at,
        )


class AuthHookCreated(AuthHookOut):
    secret: str = Field(
        description="whsec_…: verifies the signatures; shown here only", examples=["whsec_…"]
    )


class AuthHookWithCalls(AuthHookOut):
    calls: list[HookCallOut] = Field(description="Its latest calls, newest first (at most 100)")


class AuthHookList(Schema):
    items: list[AuthHookWithCalls]
