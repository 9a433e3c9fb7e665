"""What the organizations' use cases need of storage.

Firestore's layout (docs/reference/orgs.md), which the shipped ``firestore.rules`` and the
per-request membership check read too:

- ``orgs/{org_id}``: the org's fields (``domain.orgs.orgs.Org`` but its ``roles``),
  ``deleted_at`` once deleted;
- ``orgs/{org_id}/definitions/roles``: ``{"role_definitions"}``, the org's ``roles`` as
  ``{role: {"description", "permissions"}}`` (absent until a role is defined), written with
  the org's document and read with it wherever an ``Org`` is;
- ``org_slugs/{slug key}``: ``{"org_id"}``, the claim that makes a slug unique;
- ``orgs/{org_id}/members/{user_id}``: ``{"org_id", "user_id", "roles", "granted",
  "sso_roles", "scim_roles", "version", "joined_at", "updated_at", "managed", "permissions"}``
  (``domain.orgs.orgs.Membership``: ``roles`` the ones held, the union of the other three;
  ``permissions`` the sorted union of their permissions, rewritten with a new ``version`` by
  every change of the roles or of a definition of one of them);
- ``org_role_templates/current``: ``{"templates", "retiring"}``, the deployment's role
  templates as ``{role: {"description", "permissions"}}`` and those a removal in progress no
  longer lets anyone be given, read with every org (docs/decisions/
  0581-role-templates-read-with-every-org.md);
- ``org_invitations/{id}``: ``{"org_id", "email", "roles", "token_hash", "created_by",
  "created_at", "expires_at", "accepted_by", "accepted_at"}``
  (``domain.orgs.invitations.OrgInvitation``), ``expires_at`` its TTL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from application.ports import NO_WRITES, StagedWrites
from domain.orgs.invitations import OrgInvitation
from domain.orgs.orgs import Membership, Org, RoleSource
from domain.orgs.roles import Granter, RoleDefinition
from domain.slots import Slot


class OrgRepository(Protocol):
    def add(self, org: Org, owner: Membership, staged: StagedWrites = NO_WRITES) -> None:
        """Store a new org, claim its slug and make ``owner`` its first member, in one commit
        with what ``staged`` writes; Conflict ``slug_taken`` if the slug's key is claimed."""
        ...

    def get(self, org_id: str) -> Org | None:
        """The live org with this id; None if absent or deleted."""
        ...

    def find(self, id_or_slug: str) -> Org | None:
        """The live org named by its id or its slug (``domain.orgs.orgs.is_slug_shaped``)."""
        ...

    def update(
        self, org_id: str, change: Callable[[Org], Org], staged: StagedWrites = NO_WRITES
    ) -> Org:
        """Apply a pure ``change`` atomically, moving the slug's claim when it changes;
        NotFound, Conflict ``slug_taken``, Conflict ``custom_role_in_use`` when a custom role
        it removes is held by a member (under any concurrency)."""
        ...

    def membership(self, org_id: str, user_id: str) -> Membership | None:
        """The person's membership of a live org; None if none."""
        ...

    def list_page(self, after: str | None, limit: int) -> list[Org]:
        """Up to ``limit`` live orgs ordered by id, after ``after`` (the operators' list)."""
        ...

    def memberships_of(self, user_id: str, limit: int) -> list[tuple[Org, Membership]]:
        """Up to ``limit`` of the person's live orgs with their membership, by slug."""
        ...

    def members_page(self, org_id: str, after: str | None, limit: int) -> list[Membership]:
        """Up to ``limit`` members ordered by user id, after ``after``."""
        ...

    def add_member(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        granter: Granter,
        check: Callable[[Org], None] = lambda org: None,
        managed: bool = False,
        source: RoleSource = RoleSource.HAND,
    ) -> Membership:
        """Make the person a member with ``roles`` given by ``source``, taking the org's next
        member version (and counting an owner), in one commit with what ``staged`` writes (an
        invitation's spending); Conflict ``already_member``, NotFound if the org is gone;
        InvalidInput ``unknown_role`` for a role the org does not name as it is at the commit;
        PermissionDenied ``permission_escalation`` when ``granter`` may not give a role but
        ``member`` (``check_granted``, on the granter's membership read in the commit);
        ``check`` (which may raise) sees the org as the commit finds it (its domain policy);
        ``managed``: the org made the account (``Membership.managed``)."""
        ...

    def change_roles(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        granter: Granter,
        check: Callable[[Membership], None] = lambda before: None,
        source: RoleSource = RoleSource.HAND,
    ) -> tuple[Membership, Membership]:
        """(before, after): the roles ``source`` gives the member replaced (the other sources'
        kept, ``Membership.with_roles``), the permissions resolved, the next member version
        taken, the owners counted, under any concurrency; ``check`` (which may raise) sees the
        membership the commit replaces; Conflict ``last_owner`` when no owner would
        remain; NotFound when not a member; InvalidInput ``unknown_role`` as ``add_member``;
        PermissionDenied ``permission_escalation`` when ``granter`` may not give the roles
        the change adds to what ``source`` gave (``check_granted``, on the granter's
        membership read in the very commit: a change of the granter's roles waits for it or
        aborts it)."""
        ...

    def remove_member(
        self,
        org_id: str,
        user_id: str,
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        check: Callable[[Membership], None] = lambda before: None,
    ) -> Membership:
        """The membership removed (and returned), the owners counted, under any
        concurrency; ``check`` as ``change_roles``'s; Conflict ``last_owner``; NotFound when
        not a member."""
        ...

    def mark_deleted(
        self,
        org_id: str,
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        check: Callable[[Org], None] = lambda org: None,
    ) -> Org:
        """Tombstone the org and release its slug in one commit: from then on no read finds
        it or its memberships; NotFound if absent; ``check`` (which may raise) sees the org
        as the commit finds it (its settings; a join takes no write of the org)."""
        ...

    def purge(self, org_id: str, batch_size: int) -> None:
        """Delete a tombstoned org's memberships, in bounded batches, then the org (what
        else it owns is purged before, each kind an ``OrgPart`` of ``OrgPurge``)."""
        ...


# What the kernel offers the units of the orgs: their repository, through which a unit that
# keeps an org's settings reads and changes them (the agents' policy; docs/decisions/0770).
ORG_REPOSITORY = Slot[OrgRepository]("the orgs' repository")


class OrgDomainReads(Protocol):
    """The orgs' verified domains as a unit reads them (``ORG_DOMAINS``): what an org proved
    it holds by DNS (docs/reference/orgs.md, "Domains"), one org's each. A deleted org not
    yet purged still holds its domains: the caller reads the org (``ORG_REPOSITORY``)."""

    def verified(self, org_id: str) -> tuple[str, ...]:
        """The org's verified domains (as ``domain_name`` makes them: A-labels), by name;
        none for an org with none, or no such org."""
        ...

    def holder(self, domain: str) -> str | None:
        """The id of the org that verified exactly ``domain`` (in any form: Unicode or
        A-labels, any case), not a parent nor a look-alike; None if none did."""
        ...


# What the kernel offers the units of the orgs' verified domains: a unit that acts for an
# org on a domain (or a name under one) reads which it proved (docs/contributing.md, "Units").
ORG_DOMAINS = Slot[OrgDomainReads]("the orgs' verified domains")


class OrgRoleRepository(Protocol):
    def redefine(self, org_id: str, role: str, change: Callable[[Org], Org], now: datetime) -> Org:
        """Apply a pure ``change`` of the org's definition of ``role`` and rewrite each of
        its holders' ``permissions`` with a new ``version``: the org and the first holders in
        one commit, any further ones in pages resolved against the org as each reads it;
        NotFound if the org is gone."""
        ...

    def holders(self, org_id: str, roles: Sequence[str]) -> dict[str, int]:
        """How many members hold each of ``roles``."""
        ...


class RoleTemplateRepository(Protocol):
    """The deployment's role templates: roles every org has (read with every ``Org``, its
    ``templates``), defined by firegate's admins."""

    def templates(self) -> dict[str, RoleDefinition]:
        """Every template, by name."""
        ...

    def define(
        self,
        role: str,
        change: Callable[[dict[str, RoleDefinition]], dict[str, RoleDefinition]],
        now: datetime,
    ) -> dict[str, RoleDefinition]:
        """Apply a pure ``change`` of the templates (``role``'s) under compare-and-set, then
        rewrite the ``permissions`` (with a new ``version``) of every member of every org
        who holds ``role`` and whose permissions the templates no longer give, each org's
        holders resolved against the org as that sweep reads it; returns once all are."""
        ...

    def remove(self, role: str, now: datetime) -> None:
        """Remove the template ``role``: NotFound ``role_not_found``; Conflict
        ``role_in_use`` while a member of any org holds it, under any concurrency (no grant
        of it commits once the removal has looked for holders)."""
        ...

    def holders(self, roles: Sequence[str]) -> dict[str, int]:
        """How many memberships, in every org, hold each of ``roles``."""
        ...


class ResourceScopes(Protocol):
    """The registered API resources' scopes, which an org's roles may carry as
    permissions."""

    def scope_names(self) -> tuple[str, ...]:
        """Every registered resource's scopes, each once."""
        ...


class NoResourceScopes:
    def scope_names(self) -> tuple[str, ...]:
        return ()


NO_RESOURCE_SCOPES = NoResourceScopes()


class OrgPart(Protocol):
    """What a deleted org owns of one kind: its invitations, its domains, and the other
    capabilities' data of it (its OAuth clients, its members' org-scoped personal tokens)."""

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Delete the org's documents of this kind, ``batch_size`` a commit; idempotent."""
        ...


class OrgInvitationRepository(Protocol):
    def put(self, invitation: OrgInvitation) -> None:
        """Store the invitation, replacing one with its id (the same org and address)."""
        ...

    def get(self, invitation_id: str) -> OrgInvitation | None:
        """The invitation with this id; None if absent."""
        ...

    def by_token(self, hashed: str) -> OrgInvitation | None:
        """The invitation whose current token has this hash; None if none."""
        ...

    def list_for(self, org_id: str, limit: int) -> list[OrgInvitation]:
        """Up to ``limit`` of the org's invitations, in no particular order."""
        ...

    def to_address(self, email: str, limit: int) -> list[OrgInvitation]:
        """Up to ``limit`` of the invitations (of any org) to this normalized address."""
        ...

    def update(
        self, invitation_id: str, change: Callable[[OrgInvitation], OrgInvitation]
    ) -> OrgInvitation:
        """Apply a pure ``change`` under compare-and-set, so of concurrent changes each sees
        the last; NotFound ``invitation_not_found`` if absent."""
        ...

    def delete(self, invitation_id: str) -> bool:
        """Remove it; False if there was none."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Delete the org's invitations, ``batch_size`` a commit (a deleted org's purge)."""
        ...
