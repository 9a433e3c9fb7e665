from __future__ import annotations

from pydantic import Field

from domain.support_access.impersonation import DEFAULT_MINUTES, MAX_MINUTES, REASON_MAX
from interfaces.http.schemas.common import Strict
from interfaces.http.schemas.signin.personal_tokens import WholeNumber


class ImpersonateRequest(Strict):
    reason: str = Field(
        min_length=1,
        max_length=REASON_MAX,
        description="Why: shown to the person, in both accounts' events",
        examples=["Ticket 4711: the export page shows nothing"],
    )
    minutes: WholeNumber = Field(
        default=DEFAULT_MINUTES,
        ge=1,
        le=MAX_MINUTES,
        description="How long the session lasts; no refresh outlives it",
    )
