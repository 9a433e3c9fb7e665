"""Support access: who may act as whom, for how long, and why (docs/support-access.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.accounts.users import Role, User
from domain.errors import InvalidInput, PermissionDenied

MAX_MINUTES = 60
DEFAULT_MINUTES = 15  # docs/decisions/0585-support-access-lasts-fifteen-minutes.md
REASON_MAX = 500


@dataclass(frozen=True)
class Grant:
    """What an impersonation is asked for: why (shown to the person and in both audit logs),
    and for how many minutes (its session's whole life; no refresh outlives it)."""

    reason: str
    minutes: int = DEFAULT_MINUTES

    def __post_init__(self) -> None:
        reason = self.reason.strip()
        if not 1 <= len(reason) <= REASON_MAX:
            raise InvalidInput.field(
                "reason", f"Say why, in 1 to {REASON_MAX} characters.", "invalid_reason"
            )
        if not 1 <= self.minutes <= MAX_MINUTES:
            raise InvalidInput.field(
                "minutes", f"An impersonation lasts 1 to {MAX_MINUTES} minutes.", "invalid_minutes"
            )
        object.__setattr__(self, "reason", reason)

    @property
    def lifetime(self) -> timedelta:
        return timedelta(minutes=self.minutes)


def _refused(detail: str, code: str) -> PermissionDenied:
    return PermissionDenied(detail, code=code)


def check_may_impersonate(*, by_id: str, by_impersonated: bool, person: User) -> None:
    """The rule both ways in (an admin's, an org admin's) share: never oneself, never from a
    session that is itself acting as someone, never an admin
    (docs/decisions/0584-no-admin-acts-as-an-admin.md), never a disabled account."""
    if by_impersonated:
        raise _refused(
            "A session acting as someone cannot start another.", "impersonation_forbidden"
        )
    if person.id == by_id:
        raise _refused("You cannot act as yourself.", "impersonation_of_self")
    if person.role == Role.ADMIN:
        raise _refused("No one acts as an admin.", "impersonation_of_admin")
    if person.disabled:
        raise _refused("This account is disabled.", "account_disabled")
