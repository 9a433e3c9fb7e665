"""The organizations' use cases as a driving adapter calls them, each bound by
``bootstrap/orgs.py`` (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.orgs.joining import JoinOrg, SuggestedOrgs
from application.orgs.members import (
    AddMember,
    ChangeRoles,
    MemberQuery,
    NamedMember,
    OperatorRemoval,
    RemoveMember,
)
from application.orgs.orgs import (
    AdminOrgDeletion,
    AdminOrgQuery,
    CreateOrg,
    DeleteOrg,
    GetOrg,
    ListMyOrgs,
    OperatorCreation,
    OperatorDeletion,
    OrgEventQuery,
    OrgListQuery,
    OrgMembership,
    UpdateOrg,
)
from application.pagination import Page
from domain.events.security_events import SecurityEvent
from domain.orgs.orgs import Membership, Org


@dataclass(frozen=True)
class OrgServices:
    create: Callable[[CreateOrg], OrgMembership]
    mine: Callable[[ListMyOrgs], list[OrgMembership]]
    get: Callable[[GetOrg], OrgMembership]
    update: Callable[[UpdateOrg], OrgMembership]
    delete: Callable[[DeleteOrg], None]
    events: Callable[[OrgEventQuery], Page[SecurityEvent]]  # the org's audit log
    members: Callable[[MemberQuery], Page[Membership]]
    named_members: Callable[[MemberQuery], Page[NamedMember]]  # the pages' list
    change_roles: Callable[[ChangeRoles], Membership]
    remove_member: Callable[[RemoveMember], None]
    # Joining by a verified domain (its domain_policy).
    suggested: Callable[[SuggestedOrgs], list[Org]]  # the orgs the caller may join
    join: Callable[[JoinOrg], OrgMembership]  # 409 already_member; 404 unless offered
    # The operators' (the command line's ``orgs ...``).
    create_for: Callable[[OperatorCreation], OrgMembership]
    list_all: Callable[[OrgListQuery], Page[Org]]
    delete_any: Callable[[OperatorDeletion], Org]
    add_member: Callable[[AddMember], Membership]
    remove_any_member: Callable[[OperatorRemoval], Membership]
    # firegate's admins' (/admin/orgs)
    admin_list: Callable[[AdminOrgQuery], Page[Org]]
    admin_delete: Callable[[AdminOrgDeletion], Org]
