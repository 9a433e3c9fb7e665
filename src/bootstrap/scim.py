"""SCIM 2.0 provisioning for organizations: its adapters and its use cases bound to them
(docs/reference/scim.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from application.accounts.accounts import UserRepository
from application.accounts.admin import set_disabled_by_id
from application.orgs.ports import OrgRepository
from application.scim.groups import (
    GroupTools,
    ScimGroupServices,
    create_group,
    get_group,
    remove_group,
    replace_group,
)
from application.scim.ports import ScimGroups, ScimTokens, ScimUsers
from application.scim.tokens import (
    ScimTokenServices,
    authenticate_directory,
    create_scim_token,
    list_scim_tokens,
    revoke_scim_token,
)
from application.scim.users import (
    ProvisioningTools,
    ScimUserServices,
    get_user,
    provision_user,
    remove_user,
    replace_user,
    search_records,
)
from bootstrap.orgs import OrgsAdapters
from bootstrap.platform import Platform
from infrastructure.firestore.scim.groups import FirestoreScimGroups
from infrastructure.firestore.scim.tokens import FirestoreScimTokens
from infrastructure.firestore.scim.users import FirestoreScimUsers

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class ScimAdapters:
    tokens: ScimTokens  # the orgs' SCIM bearer tokens
    users: ScimUsers  # the people their directories provisioned
    groups: ScimGroups  # the groups their directories pushed


def build(client: Client) -> ScimAdapters:
    return ScimAdapters(
        tokens=FirestoreScimTokens(client),
        users=FirestoreScimUsers(client),
        groups=FirestoreScimGroups(client),
    )


def bind_tokens(own: ScimAdapters, *, orgs: OrgRepository, platform: Platform) -> ScimTokenServices:
    """``orgs``: whose admins make the tokens."""
    tokens, clock, audit = own.tokens, platform.clock, platform.audit
    return ScimTokenServices(
        create=partial(create_scim_token, orgs=orgs, tokens=tokens, clock=clock, audit=audit),
        list=partial(list_scim_tokens, orgs=orgs, tokens=tokens),
        revoke=partial(revoke_scim_token, orgs=orgs, tokens=tokens, audit=audit),
        authenticate=partial(authenticate_directory, tokens=tokens),
    )


def bind_users(
    own: ScimAdapters, *, users: UserRepository, orgs: OrgsAdapters, platform: Platform
) -> ScimUserServices:
    """``users``: the accounts provisioning makes or joins; ``orgs``: their memberships and
    the org's verified domains, which prove an address."""
    records = own.users
    tools = ProvisioningTools(
        users=users,
        orgs=orgs.orgs,
        domains=orgs.domains,
        clock=platform.clock,
        audit=platform.audit,
        disable=partial(
            set_disabled_by_id, users=users, clock=platform.clock, audit=platform.audit
        ),
    )
    return ScimUserServices(
        provision=partial(provision_user, records=records, tools=tools),
        get=partial(get_user, records=records),
        replace=partial(replace_user, records=records, tools=tools),
        remove=partial(remove_user, records=records, tools=tools),
        search=partial(search_records, records=records),
    )


def bind_groups(own: ScimAdapters, *, orgs: OrgsAdapters, platform: Platform) -> ScimGroupServices:
    """``orgs``: the memberships whose roles the groups give."""
    groups = own.groups
    tools = GroupTools(users=own.users, orgs=orgs.orgs, clock=platform.clock, audit=platform.audit)
    return ScimGroupServices(
        create=partial(create_group, groups=groups, tools=tools),
        get=partial(get_group, groups=groups),
        replace=partial(replace_group, groups=groups, tools=tools),
        remove=partial(remove_group, groups=groups, tools=tools),
        search=partial(search_records, records=groups),
    )
