"""Setup links: an org owner hands the customer's IT admin a link to one connection, and
whoever holds it, with no account, configures that connection's identity provider and
activates it (docs/reference/sso.md, "Setup links";
docs/decisions/0396-sso-setup-links.md). The link holds only while its maker is an owner
(docs/decisions/0448-single-sign-on-is-the-owners.md).

The link is the credential: ``{connection_id}.{secret}``, of which only a hash is kept on the
connection. A connection has one link at a time (a new one ends the one before), for 7 days,
and activating the connection spends it. Through the link the connection changes as through
``PATCH /orgs/{org}/connections/{id}``: the same checks, the same compare-and-set, the same
events (as the admin's who made the link). For an active connection, what is saved through
the link goes into a draft beside the live values, which Apply swaps in or discard drops (the
link stays open until it ends; docs/decisions/0461-sso-drafts-and-apply.md).

What a test sign-in runs on lives here too (``tried``, the admin's trial: docs/reference/
sso.md, "Test sign-in"; docs/decisions/0469-the-admins-test-sign-in.md).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import cast

from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.signin.authentication import Actor
from application.sso.arrival import StartSso
from application.sso.connections import (
    ConnectionEditor,
    ConnectionRequest,
    added,
    admin_org,
    connection_of,
    stored_changes,
)
from application.sso.ports import Connections
from domain.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from domain.link_tokens import InvalidToken, new_token, token_hash
from domain.orgs.orgs import Membership, Org, allowed, require
from domain.orgs.roles import Permission
from domain.signin.active_org import not_found
from domain.sso.connections import (
    Connection,
    ConnectionKind,
    ConnectionStatus,
    SetupLink,
    SpAddresses,
    draft_gone,
    incomplete,
    is_connection_id,
    no_such_connection,
)


@dataclass(frozen=True)
class AdminTrial:
    """An org admin's test sign-in from the connection's page: who started it, in which org
    (the org's id, not the slug the path named)."""

    by: str  # the admin's account id
    org_id: str


def tried(connection: Connection, kind: ConnectionKind) -> Connection:
    """The connection a test runs on: as its draft would make it
    (docs/decisions/0461-sso-drafts-and-apply.md), in any status; 404 for another kind, 409
    ``connection_incomplete`` while its IdP lacks what a sign-in needs."""
    drafted = connection.drafted()
    if drafted.kind is not kind:
        raise no_such_connection()
    if problems := drafted.missing():
        raise incomplete("Set up the identity provider before testing it", problems)
    return drafted


def admin_trial_start(
    cmd: StartSso, kind: ConnectionKind, *, orgs: OrgRepository, connections: Connections
) -> tuple[Connection, AdminTrial]:
    """The connection an admin (``cmd.tried_by``) of ``cmd.org`` (as the path names it) tries
    from its page (``tried``), and the trial to seal in the flight: the same check as the
    connection's page (404 for none of the org's, 403 ``org_permission_denied`` for a member
    who is no admin)."""
    if cmd.tried_by is None:
        raise no_such_connection()
    request = ConnectionRequest(cmd.tried_by, cmd.org, cmd.connection_id)
    found = admin_org(request, orgs)
    connection = tried(connection_of(found, request, connections), kind)
    return connection, AdminTrial(cmd.tried_by.user_id, found.id)


def not_the_admins() -> PermissionDenied:
    return PermissionDenied(
        "This test sign-in was started by another account.", code="test_sign_in_not_yours"
    )


def admin_trial_connection(
    trial: AdminTrial,
    connection_id: str,
    kind: ConnectionKind,
    signed_in_as: str,
    *,
    orgs: OrgRepository,
    connections: Connections,
) -> Connection:
    """The connection the admin's test runs on when the IdP's answer arrives (``tried``),
    checked again:
    a browser signed in to another account brings it (403 ``test_sign_in_not_yours``); the
    admin left the org (404 ``org_not_found``) or is no admin of it any more (403
    ``org_permission_denied``); the connection is gone or not the org's (404
    ``connection_not_found``). ``signed_in_as``: the account whose session came with the
    answer ("" for none: a cross-site POST brings none)."""
    if signed_in_as and not hmac.compare_digest(signed_in_as, trial.by):
        raise not_the_admins()
    membership = orgs.membership(trial.org_id, trial.by)
    if orgs.get(trial.org_id) is None or membership is None:
        raise not_found()
    require(membership.roles, Permission.MANAGE_ORG)
    found = connections.get(connection_id) if is_connection_id(connection_id) else None
    if found is None or found.org_id != trial.org_id:
        raise no_such_connection()
    return tried(found, kind)


SETUP_PATH = "/sso/setup"  # the page a link opens: ?token=
SETUP_FIELDS = ("saml", "oidc", "mapping", "status")  # what the IT admin may change
DEFAULT_NAMES = {ConnectionKind.SAML.value: "SAML", ConnectionKind.OIDC.value: "OpenID Connect"}


@dataclass(frozen=True)
class MakeSetupLink:
    """A link for the org's connection ``connection_id`` (not active), or for a new one of
    ``kind`` (named ``name``, or after its kind)."""

    actor: Actor
    org: str
    connection_id: str | None = None
    kind: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class SetupLinkMade:
    connection: Connection
    url: str  # holds the token: shown once, never stored
    expires_at: datetime


@dataclass(frozen=True)
class SetupRequest:
    """What the holder of a link asks: ``changes`` a subset of ``SETUP_FIELDS``."""

    token: str
    changes: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SetupView:
    """What the setup page shows: the connection, its org's name, firegate's side of it."""

    connection: Connection
    org_name: str
    addresses: SpAddresses


def setup_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{SETUP_PATH}?token={token}"


def _checked_request(cmd: MakeSetupLink) -> None:
    if (cmd.connection_id is None) == (cmd.kind is None):
        raise InvalidInput.field(
            "connection",
            "Name an existing connection, or the kind of a new one (not both).",
            "connection_or_kind",
        )


@dataclass(frozen=True)
class OpenSetupLink:
    connection: Connection
    link: SetupLink


def linked_connection(token: str, connections: Connections, now: datetime) -> Connection:
    """The connection this link still opens; 400 ``invalid_token`` when it opens none
    (unknown, ended, expired, or the connection active: spent)."""
    connection_id = token.partition(".")[0]
    hashed = token_hash(token)
    found = connections.get(connection_id) if is_connection_id(connection_id) else None
    if found is None or not found.set_up_through(hashed, now):
        raise InvalidToken()
    return found


def trial_connection(
    link: str, connections: Connections, now: datetime, kind: ConnectionKind
) -> Connection:
    """The complete connection of ``kind`` a test sign-in from the setup link ``link`` may
    run on, in any status (docs/decisions/0397-a-test-sign-in-makes-nothing.md), as its
    draft would make it (docs/decisions/0461-sso-drafts-and-apply.md): 400
    ``invalid_token`` when the link no longer opens it, 404 for another kind, 409
    ``connection_incomplete`` while its IdP lacks what a sign-in needs."""
    return tried(linked_connection(link, connections, now), kind)


def drafted_by(connection: Connection) -> str:
    """Who what is done through the connection's setup link is recorded as: the owner who
    made the link (400 ``invalid_token`` when it has none)."""
    if connection.setup is None:
        raise InvalidToken()
    return connection.setup.created_by


def _trusted_org(connection: Connection, orgs: OrgRepository) -> tuple[Org, Membership]:
    """The connection's org, while the owner who made its setup link still may make one, and
    that owner's membership (whose rights what the link sets carries): a link whose maker
    left the org or is no longer an owner opens nothing (400 ``invalid_token``)."""
    org = orgs.get(connection.org_id)
    maker = connection.setup.created_by if connection.setup is not None else None
    membership = orgs.membership(connection.org_id, maker) if maker and org else None
    if org is None or membership is None or not allowed(membership.roles, Permission.MANAGE_SSO):
        raise InvalidToken()
    return org, membership


def _setup_changes(changes: Mapping[str, object], live: bool) -> Mapping[str, object]:
    """The changes a link may make; for a ``live`` (active) connection, not its status: its
    draft is applied instead."""
    unknown = sorted(set(changes) - set(SETUP_FIELDS))
    problems = [
        FieldError(n, "Not changed through a setup link.", "unknown_field") for n in unknown
    ]
    if "status" in changes and (live or changes["status"] != ConnectionStatus.ACTIVE.value):
        message = "Active already: apply the draft." if live else "Only active."
        problems.append(FieldError("status", message, "invalid_status"))
    if problems:
        raise InvalidInput.of(problems)
    return changes


@dataclass(frozen=True, kw_only=True, slots=True)
class SetupLinks:
    """Setup links: an org's owners make, list and end them; whoever holds one opens the
    connection's setup page and configures its identity provider through it.

    The links, and the connections' addresses, are under ``public_url``; what is done
    through a link goes through the connections' own checks (``editor``), and
    ``activated`` follows an activation as it follows the admins'."""

    orgs: OrgRepository
    connections: Connections
    editor: ConnectionEditor
    clock: Clock
    audit: AuditLog
    public_url: str
    activated: Callable[[], None]

    def make(self, cmd: MakeSetupLink) -> SetupLinkMade:
        """A new setup link (the connection's previous one ends), made by an owner only: it
        lets whoever holds it set the IdP and activate, or, for an active connection, edit a
        draft of it and apply that."""
        _checked_request(cmd)
        connections = self.connections
        request = ConnectionRequest(cmd.actor, cmd.org, cmd.connection_id)
        org = admin_org(request, self.orgs, Permission.MANAGE_SSO)
        now = self.clock.now()
        by = cmd.actor.user_id
        if cmd.connection_id is not None:
            before = connection_of(org, request, connections)
            token = f"{before.id}.{new_token()}"
            link = SetupLink.new(token_hash(token), by, now)
            linked = connections.replace(before.with_setup_link(link))
        else:
            kind = cast(str, cmd.kind)
            new = Connection.create(org.id, kind, cmd.name or DEFAULT_NAMES.get(kind, ""), by, now)
            token = f"{new.id}.{new_token()}"
            link = SetupLink.new(token_hash(token), by, now)
            linked = replace(new.with_setup_link(link), version=new.version)
            added(linked, by, connections=connections, audit=self.audit)
        return SetupLinkMade(linked, setup_url(self.public_url, token), link.expires_at)

    def list(self, cmd: ConnectionRequest) -> list[OpenSetupLink]:
        """The org's connections with a setup link still open, oldest first (never a
        token)."""
        now = self.clock.now()
        return [
            OpenSetupLink(c, c.setup)
            for c in self.connections.list_for(admin_org(cmd, self.orgs).id)
            if c.setup is not None and now < c.setup.expires_at
        ]

    def revoke(self, cmd: ConnectionRequest) -> None:
        """The connection's setup link ended (404 ``setup_link_not_found`` for none)."""
        before = connection_of(admin_org(cmd, self.orgs), cmd, self.connections)
        if before.setup is None:
            raise NotFound("This connection has no setup link.", code="setup_link_not_found")
        self.connections.replace(before.without_setup_link(self.clock.now()))

    def open(self, cmd: SetupRequest) -> SetupView:
        connection = linked_connection(cmd.token, self.connections, self.clock.now())
        org, _ = _trusted_org(connection, self.orgs)
        return SetupView(connection, org.name, SpAddresses.of(self.public_url, connection.id))

    def set_up(self, cmd: SetupRequest) -> SetupView:
        """The connection changed through its link as ``PATCH`` changes it (the IdP, the
        mapping, ``status: active``); activating it spends the link. Of many activations at
        once one wins, the others get 409 ``connection_changed`` or 400 ``invalid_token``.
        An active connection's changes go into its draft (``org.sso_connection_draft_saved``),
        never into its live values."""
        before = linked_connection(cmd.token, self.connections, self.clock.now())
        org, maker = _trusted_org(before, self.orgs)
        if before.setup is None:
            raise InvalidToken()
        changes = _setup_changes(cmd.changes, before.active)
        if before.active:
            edited = self.editor.configured(before.drafted(), org, changes, maker)
            drafted = before.with_draft(edited, drafted_by(before), self.clock.now())
            stored = self._stored(drafted, Audit.ORG_SSO_CONNECTION_DRAFT_SAVED, drafted_by(before))
            return SetupView(stored, org.name, SpAddresses.of(self.public_url, stored.id))
        after = self.editor.configured(before, org, changes, maker)
        stored = stored_changes(
            after,
            before,
            before.setup.created_by,
            connections=self.connections,
            audit=self.audit,
            activated=self.activated,
        )
        return SetupView(stored, org.name, SpAddresses.of(self.public_url, stored.id))

    def apply(self, cmd: SetupRequest) -> SetupView:
        """The active connection's draft swapped in, in one compare-and-set write with
        ``org.sso_connection_draft_applied``: sign-ins use it from then on. 409
        ``draft_gone`` without a draft (applied or discarded meanwhile: of many Applies at
        once one wins), ``connection_incomplete`` for an incomplete one."""
        return self._swapped(cmd, apply=True)

    def discard(self, cmd: SetupRequest) -> SetupView:
        """The draft dropped (``org.sso_connection_draft_discarded``), the live connection as
        it is; 409 ``draft_gone`` without one."""
        return self._swapped(cmd, apply=False)

    def _swapped(self, cmd: SetupRequest, *, apply: bool) -> SetupView:
        before = linked_connection(cmd.token, self.connections, self.clock.now())
        org, _ = _trusted_org(before, self.orgs)
        now = self.clock.now()
        after = before.applied(now) if apply else before.without_draft(now)
        event = (
            Audit.ORG_SSO_CONNECTION_DRAFT_APPLIED
            if apply
            else Audit.ORG_SSO_CONNECTION_DRAFT_DISCARDED
        )
        try:
            stored = self._stored(after, event, drafted_by(before))
        except Conflict as lost:
            # Another Apply or discard came first (or any change): the draft may be gone.
            if lost.code != "connection_changed":
                raise
            found = self.connections.get(before.id)
            if found is None or found.draft is None:
                raise draft_gone() from None
            raise
        return SetupView(stored, org.name, SpAddresses.of(self.public_url, stored.id))

    def _stored(self, after: Connection, event: Audit, by: str) -> Connection:
        """``after`` stored over the connection it was changed from, with ``event`` as
        ``by``'s act, in the same commit."""
        staged = self.audit.stage(
            [AuditEvent(event, user_id=by, org_id=after.org_id, reason=after.id)]
        )
        stored = self.connections.replace(after, staged)
        self.audit.committed(staged)
        return stored
