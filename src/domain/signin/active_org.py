"""A session's active organization: what a request, a token and the Firebase rules know of the
org a person acts in (docs/reference/orgs.md, "The active organization")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.errors import NotFound, PermissionDenied
from domain.signin.mfa import TotpFactor


@dataclass(frozen=True)
class ActiveOrg:
    """The org, the person's roles in it and their permissions, as stored when read: never
    a token's claim."""

    id: str
    slug: str
    roles: tuple[str, ...]
    version: int  # the membership's version: the Firebase rules' ``org_version``
    require_mfa: bool = False  # the org's policy: a second factor before it becomes active
    # When the membership began (None: not read); not part of what the org and roles are
    joined_at: datetime | None = field(default=None, compare=False)
    # The org's name, as people read it (the consent page's choice); "" where not read
    name: str = field(default="", compare=False)
    # The sorted union of the member's roles' permissions, as the membership holds them
    permissions: tuple[str, ...] = ()

    def admits(self, org_id: str, made_at: datetime) -> bool:
        """Does this membership hold for a credential scoped to ``org_id`` and made at
        ``made_at`` (an org-scoped personal token)? Only the membership it was made in: a
        person removed and added again gets a new one, which no earlier token opens
        (docs/decisions/0376-a-removed-members-org-tokens.md)."""
        return self.id == org_id and self.joined_at is not None and self.joined_at <= made_at

    def claim(self) -> dict[str, object]:
        """The access token's ``org`` claim: ``id``, ``slug``, ``roles`` and
        ``permissions`` (docs/reference/sessions.md, "The tokens")."""
        return {
            "id": self.id,
            "slug": self.slug,
            "roles": list(self.roles),
            "permissions": list(self.permissions),
        }


def mfa_setup_required() -> PermissionDenied:
    """The org asks its members for a second factor and the account has none
    (docs/decisions/0370-an-org-that-requires-mfa.md)."""
    return PermissionDenied(
        "This organization requires a second factor: set one up first.",
        code="mfa_setup_required",
    )


def lacks_second_factor(org: ActiveOrg, factor: TotpFactor | None) -> bool:
    """Whether the org requires a second factor the account has not set up: none, or one
    still pending (docs/decisions/0370-an-org-that-requires-mfa.md)."""
    return org.require_mfa and (factor is None or not factor.active)


def check_second_factor(org: ActiveOrg, factor: TotpFactor | None) -> None:
    """403 ``mfa_setup_required`` before the org becomes active, wherever it does (a
    session's switch, a Firebase custom token, an app's sign-in with scope organization)."""
    if lacks_second_factor(org, factor):
        raise mfa_setup_required()


def org_required() -> PermissionDenied:
    """A route that acts in the caller's active org, called without one: none chosen, or the
    membership ended since (docs/decisions/0369-a-membership-ended-mid-session.md)."""
    return PermissionDenied(
        "This needs an active organization: choose one with POST /auth/org.",
        code="org_required",
    )


def require_org(org: ActiveOrg | None) -> ActiveOrg:
    if org is None:
        raise org_required()
    return org


def not_found() -> NotFound:
    """What a non-member learns of an org: that there is none (404)."""
    return NotFound("No such organization.", code="org_not_found")
