"""SCIM groups as scim2-server's storage sees them: each call a use case of
``DirectoryGroups`` for the org the directory's token opened (docs/reference/scim.md,
"Groups")."""

from __future__ import annotations

import json
from typing import Any

from scim2_models import (
    Context,
    Group,
    InvalidValueException,
    Meta,
    Resource,
    SearchRequest,
)
from scim2_server.storage import SearchPage

from application.scim.groups import (
    CreateGroup,
    DirectoryGroups,
    GroupFields,
    GroupRef,
    RemoveGroup,
    ReplaceGroup,
)
from application.scim.tokens import Directory
from domain.scim.groups import ScimGroup
from interfaces.scim.filters import GROUP_FILTERS
from interfaces.scim.search import search_of
from interfaces.scim.users import scim_errors

NOT_KEPT = ("id", "meta")  # ours


def fields_of(resource: Resource[Any]) -> GroupFields:
    if not isinstance(resource, Group):
        raise InvalidValueException(detail="A Group resource is expected.")
    document = resource.model_dump(scim_ctx=Context.DEFAULT)
    for name in NOT_KEPT:
        document.pop(name, None)
    return GroupFields(
        display_name=resource.display_name,
        members=tuple(str(m.value) for m in resource.members or () if m.value),
        external_id=resource.external_id,
        document=json.dumps(document, separators=(",", ":")),
    )


def resource_of(group: ScimGroup) -> Group:
    document: dict[str, Any] = json.loads(group.document)
    document.update(id=group.group_id, displayName=group.display_name)
    resource = Group.model_validate(document)  # its members as sent, which are the group's
    resource.meta = Meta(
        resource_type="Group",
        created=group.created_at,
        last_modified=group.updated_at,
        version=f'W/"{group.version}"',
    )
    return resource


class OrgGroups:
    """The groups of one org, as its directory's requests reach them."""

    def __init__(self, directory: Directory, groups: DirectoryGroups) -> None:
        self.org = directory.org
        self.by = directory.made_by  # who made the token: whose rights its groups give with
        self.groups = groups

    def get(self, resource_id: str) -> Group:
        with scim_errors():
            return resource_of(self.groups.get(GroupRef(self.org, resource_id)))

    def search(self, search_request: SearchRequest[Any]) -> SearchPage:
        search = search_of(self.org, search_request, GROUP_FILTERS, resource_of)
        with scim_errors():
            found = self.groups.search(search)
        return SearchPage(total=found.total, resources=[resource_of(g) for g in found.items])

    def create(self, resource: Resource[Any]) -> Group:
        with scim_errors():
            made = CreateGroup(self.org, fields_of(resource), by=self.by)
            return resource_of(self.groups.create(made))

    def update(self, resource: Resource[Any], version: int) -> Group:
        with scim_errors():
            fields = fields_of(resource)
            changed = ReplaceGroup(self.org, str(resource.id), fields, version, by=self.by)
            return resource_of(self.groups.replace(changed))

    def delete(self, resource_id: str, version: int | None) -> None:
        with scim_errors():
            self.groups.remove(RemoveGroup(self.org, resource_id, version, by=self.by))
