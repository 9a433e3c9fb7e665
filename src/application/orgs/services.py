"""The orgs capability's service objects: ``services().of(OrgServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.orgs.access import AccessDecisions
    from application.orgs.active import OrgSwitching
    from application.orgs.joining.domains import VerifiedDomains
    from application.orgs.joining.invitations import Invitations
    from application.orgs.joining.joining import OrgJoining
    from application.orgs.members.members import MemberAttributes, OrgMembers, OrgRoles
    from application.orgs.members.templates import RoleTemplates
    from application.orgs.orgs import Orgs


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgServices:
    """Organizations (docs/reference/orgs.md)."""

    orgs: Orgs  # make, read, change, delete an org
    members: OrgMembers  # "Roles"
    roles: OrgRoles  # "Roles and permissions"
    templates: RoleTemplates  # "Roles every org has" (/admin/org-roles)
    member_attributes: MemberAttributes  # "Members' attributes"
    joining: OrgJoining  # "Joining by domain"
    domains: VerifiedDomains  # "Verified domains"
    invitations: Invitations  # "Invitations"
    access: AccessDecisions  # POST /access/v1/evaluation (docs/reference/access.md)
    active: OrgSwitching  # the session's org
