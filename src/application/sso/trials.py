"""What a test sign-in runs on (docs/reference/sso.md, "Test sign-in"): the connection as its
draft would make it, complete, of the kind the sign-in speaks; and, for an org admin's test
from the connection's own page, the admin and the org it is bound to
(docs/decisions/0469-the-admins-test-sign-in.md).

The IdP answers by a cross-site POST (SAML) or redirect (OpenID), with which the admin's
session cookie may not come: the admin's test rides the sealed flight as the setup link's
does, and is checked again when the answer arrives (still an admin of that org, the
connection still there). It signs nobody in either way
(docs/decisions/0397-a-test-sign-in-makes-nothing.md).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from application.orgs.ports import OrgRepository
from application.sso.arrival import StartSso
from application.sso.connections import ConnectionRequest, admin_org, connection_of
from application.sso.ports import Connections
from domain.errors import PermissionDenied
from domain.orgs.orgs import Permission, require
from domain.signin.active_org import not_found
from domain.sso.connections import (
    Connection,
    ConnectionKind,
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
