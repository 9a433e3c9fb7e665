"""Role templates: roles every org has, defined once for the deployment by firegate's admins
(``/admin/org-roles``, the ``/admin`` page, the command line's ``org-roles``;
docs/reference/orgs.md, "Roles every org has").

A template is read with every org (``Org.templates``): its members may be given it, it is
listed with the org's roles and its permissions count wherever the org's roles' do — in
tokens, the access decisions, the escalation rule and the rules library, which reads the
memberships' resolved permissions. An edit rewrites its holders' permissions in every org
before it answers (docs/decisions/0581-role-templates-read-with-every-org.md); a template a
member holds is not removed (docs/decisions/0582-a-held-template-stays.md); an org's owners
neither change nor remove one (403 ``template_role``).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from application.accounts.admin import require_admin
from application.orgs.ports import NO_RESOURCE_SCOPES, ResourceScopes, RoleTemplateRepository
from application.ports import Clock
from application.signin.authentication import Actor
from domain.errors import Conflict, NotFound
from domain.orgs.roles import (
    OWNER,
    RoleDefinition,
    checked_definition,
    checked_role_name,
    with_template,
)


def _not_found() -> NotFound:
    return NotFound("No such role template.", code="role_not_found")


@dataclass(frozen=True)
class RoleTemplateView:
    """A template as the admin API, page and command line show it."""

    name: str
    description: str
    permissions: tuple[str, ...]
    members: int  # how many memberships hold it, in every org
    created: bool = False  # by this very ``put``


@dataclass(frozen=True)
class PutTemplate:
    actor: Actor | None  # None: the operators (the command line)
    role: str
    description: object  # as given, checked here
    permissions: object


@dataclass(frozen=True)
class TemplateQuery:
    actor: Actor | None
    role: str = ""  # "" for the list


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleTemplates:
    """The deployment's role templates, for firegate's admins and the operators.

    ``scopes``: the API resources' scopes, which a template may carry as permissions;
    ``creator_role``: ``ORG_CREATOR_ROLE``, the role an org's creator gets, whose template
    stays while it is named."""

    templates: RoleTemplateRepository
    clock: Clock
    scopes: ResourceScopes = NO_RESOURCE_SCOPES
    creator_role: str = OWNER

    @staticmethod
    def _check(actor: Actor | None) -> None:
        if actor is not None:
            require_admin(actor)

    def list(self, query: TemplateQuery) -> builtins.list[RoleTemplateView]:
        """Every template, by name, with how many hold it."""
        self._check(query.actor)
        found = self.templates.templates()
        counts = self.templates.holders(sorted(found)) if found else {}
        return [
            RoleTemplateView(name, d.description, d.permissions, counts.get(name, 0))
            for name, d in sorted(found.items())
        ]

    def get(self, query: TemplateQuery) -> RoleTemplateView:
        """One template (404 ``role_not_found``)."""
        self._check(query.actor)
        definition = self.templates.templates().get(query.role)
        if definition is None:
            raise _not_found()
        held = self.templates.holders([query.role])[query.role]
        return RoleTemplateView(query.role, definition.description, definition.permissions, held)

    def put(self, cmd: PutTemplate) -> RoleTemplateView:
        """Define a template (a new one, or its description and permissions): its holders'
        permissions in every org follow before this answers."""
        self._check(cmd.actor)
        name = checked_role_name(cmd.role)
        definition = checked_definition(cmd.description, cmd.permissions, self.scopes.scope_names())
        with_template(self.templates.templates(), name, definition)  # 403, 409 before a write
        created = False

        def change(templates: dict[str, RoleDefinition]) -> dict[str, RoleDefinition]:
            nonlocal created
            created = name not in templates
            return with_template(templates, name, definition)

        self.templates.define(name, change, self.clock.now())
        held = self.templates.holders([name])[name]
        return RoleTemplateView(name, definition.description, definition.permissions, held, created)

    def delete(self, query: TemplateQuery) -> None:
        """Remove a template: 409 ``role_in_use`` while a member of any org holds it, or
        while ``ORG_CREATOR_ROLE`` names it; 404 ``role_not_found``."""
        self._check(query.actor)
        role = query.role
        if role not in self.templates.templates():
            raise _not_found()
        if role == self.creator_role:
            raise Conflict(
                f"ORG_CREATOR_ROLE names {role!r}: every new org's creator gets it.",
                code="role_in_use",
            )
        self.templates.remove(role, self.clock.now())
