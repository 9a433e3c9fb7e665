"""An org's single sign-on policy, as its owners set it with ``PATCH /orgs/{org}``:
``require_sso`` and the break-glass owners, ``sso_break_glass``
(docs/reference/orgs.md, "Rules"; docs/decisions/0394-requiring-single-sign-on.md).

The connections are single sign-on's (a capability above this one): whether the org has an
active one is asked through ``SsoReadiness``, their names (for the org's audit log) through
``ConnectionNames``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from application.orgs.ports import OrgRepository
from domain.errors import Conflict, InvalidInput
from domain.orgs.orgs import Membership, Org, require
from domain.orgs.roles import Permission

SSO_POLICY = ("require_sso", "sso_break_glass")


class SsoReadiness(Protocol):
    def __call__(self, org_id: str) -> bool:
        """Whether the org has an active single sign-on connection."""
        ...


class ConnectionNames(Protocol):
    def __call__(self, org_id: str) -> Mapping[str, str]:
        """The names of the org's single sign-on connections, by their ids."""
        ...


def check_sso_policy(
    before: Org,
    after: Org,
    membership: Membership,
    changes: Mapping[str, object],
    *,
    orgs: OrgRepository,
    sso_ready: SsoReadiness,
) -> None:
    """The policy's rules, before anything is written: only owners change it (it decides how
    owners sign in: 403 ``org_permission_denied``); it is turned on only with an active
    connection (409 ``no_active_connection``); the break-glass accounts are owners (422
    ``not_an_owner``, one membership read each)."""
    if not any(name in changes for name in SSO_POLICY):
        return
    require(membership.roles, Permission.MANAGE_OWNERS)
    if after.require_sso and not before.require_sso and not sso_ready(before.id):
        raise Conflict(
            "Activate a single sign-on connection before requiring it.",
            code="no_active_connection",
            field="require_sso",
        )
    for user_id in after.sso_break_glass if "sso_break_glass" in changes else ():
        member = orgs.membership(before.id, user_id)
        if member is None or not member.owner:
            raise InvalidInput.field(
                "sso_break_glass", f"{user_id} is not an owner of the org.", "not_an_owner"
            )
