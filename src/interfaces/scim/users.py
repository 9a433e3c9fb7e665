"""SCIM users as scim2-server's storage sees them: each call a use case of
``DirectoryUsers`` for the org the directory's token opened (docs/reference/scim.md,
"Users"). The resource a directory sends is kept as it sent it (its password never);
firegate's rules read the fields they need."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scim2_models import (
    Context,
    EnterpriseUser,
    InvalidValueException,
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    SearchRequest,
    TooManyException,
    UniquenessException,
    User,
)
from scim2_server.storage import SearchPage

from application.scim.tokens import Directory
from application.scim.users import (
    DirectoryUsers,
    ProvisionUser,
    RemoveUser,
    ReplaceUser,
    ScimUserRef,
    UserFields,
)
from domain.errors import Conflict, InvalidInput, NotFound
from domain.scim.users import ScimEmail, ScimUser
from interfaces.scim.filters import USER_FILTERS
from interfaces.scim.search import search_of

ScimUserModel = User[EnterpriseUser]
NOT_KEPT = ("id", "meta", "password", "groups")  # ours, never stored, or the groups'


@contextmanager
def scim_errors() -> Iterator[None]:
    """firegate's errors as SCIM's: the ``code`` at the start of ``detail``."""
    try:
        yield
    except NotFound as exc:
        raise NotFoundException(detail=f"{exc.code}: {exc.detail}") from None
    except Conflict as exc:
        if exc.code == "version_mismatch":
            raise PreconditionFailedException(detail=f"{exc.code}: {exc.detail}") from None
        raise UniquenessException(detail=f"{exc.code}: {exc.detail}") from None
    except InvalidInput as exc:
        if any(e.code == "too_many" for e in exc.errors):
            raise TooManyException(detail=exc.errors[0].message) from None
        message = "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or exc.detail
        raise InvalidValueException(detail=f"{exc.code}: {message}") from None


def version_of(etag: str | None) -> int | None:
    """The record version an ETag (``W/"3"``) names; None for none or another's shape."""
    if etag is None:
        return None
    text = etag.removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else -1


def fields_of(resource: User[Any]) -> UserFields:
    document = resource.model_dump(scim_ctx=Context.DEFAULT)
    for name in NOT_KEPT:
        document.pop(name, None)
    names = resource.name
    return UserFields(
        user_name=resource.user_name,
        active=resource.active is not False,
        emails=tuple(
            ScimEmail(str(e.value), str(e.type) if e.type else None, bool(e.primary))
            for e in resource.emails or ()
            if e.value
        ),
        external_id=resource.external_id,
        display_name=resource.display_name,
        given_name=names.given_name if names else None,
        family_name=names.family_name if names else None,
        formatted_name=names.formatted if names else None,
        document=json.dumps(document, separators=(",", ":")),
    )


def resource_of(record: ScimUser) -> User[Any]:
    document: dict[str, Any] = json.loads(record.document)
    # ``active`` as the directory sent it (absent: an active user, shown without it)
    document.update(id=record.user_id, userName=record.user_name)
    resource = ScimUserModel.model_validate(document)
    resource.meta = Meta(
        resource_type="User",
        created=record.created_at,
        last_modified=record.updated_at,
        version=f'W/"{record.version}"',
    )
    return resource


def _user(resource: Resource[Any]) -> User[Any]:
    if not isinstance(resource, User):
        raise InvalidValueException(detail="A User resource is expected.")
    return resource


class OrgUsers:
    """The users of one org, as its directory's requests reach them."""

    def __init__(self, directory: Directory, users: DirectoryUsers) -> None:
        self.org = directory.org
        # who made the token: what it may do of owners, whose rights its writes carry
        self.by = directory.made_by
        self.users = users

    def get(self, resource_id: str) -> User[Any]:
        with scim_errors():
            return resource_of(self.users.get(ScimUserRef(self.org, resource_id)))

    def search(self, search_request: SearchRequest[Any]) -> SearchPage:
        search = search_of(self.org, search_request, USER_FILTERS, resource_of)
        with scim_errors():
            found = self.users.search(search)
        return SearchPage(total=found.total, resources=[resource_of(u) for u in found.items])

    def create(self, resource: Resource[Any]) -> User[Any]:
        with scim_errors():
            fields = fields_of(_user(resource))
            made = ProvisionUser(self.org, fields, by=self.by)
            return resource_of(self.users.provision(made))

    def update(self, resource: Resource[Any], version: int) -> User[Any]:
        with scim_errors():
            fields = fields_of(_user(resource))
            changed = ReplaceUser(self.org, str(resource.id), fields, version, by=self.by)
            return resource_of(self.users.replace(changed))

    def delete(self, resource_id: str, version: int | None) -> None:
        with scim_errors():
            self.users.remove(RemoveUser(self.org, resource_id, version, by=self.by))
