"""An org's directory as scim2-server's storage: its users and its groups, each call handed
to the one the resource type names (docs/reference/scim.md)."""

from __future__ import annotations

from typing import Any

from scim2_models import (
    InvalidFilterException,
    NotFoundException,
    NotImplementedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
)
from scim2_server.storage import ScimStorage, SearchPage

from interfaces.scim.groups import OrgGroups
from interfaces.scim.users import OrgUsers, version_of


class OrgDirectory(ScimStorage):
    def __init__(self, users: OrgUsers, groups: OrgGroups) -> None:
        self.users = users
        self.groups = groups

    def _of(self, resource_type: ResourceType) -> OrgUsers | OrgGroups:
        return self.groups if resource_type.name == "Group" else self.users

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        return self._of(resource_type).get(resource_id)

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        if position is not None:
            raise InvalidFilterException(detail="Cursors are not supported: use startIndex.")
        if len(resource_types) != 1:
            raise NotImplementedException(detail="Search /Users or /Groups, not the root.")
        return self._of(resource_types[0]).search(search_request)

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        return self._of(resource_type).create(resource)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        version = version_of(expected_version)
        if version is None:  # the library sends the version it read: never the case
            raise NotFoundException(detail="No such resource.")
        return self._of(resource_type).update(resource, version)

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        self._of(resource_type).delete(resource_id, version_of(expected_version))
