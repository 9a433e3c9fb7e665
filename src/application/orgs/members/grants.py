"""A grant refused to a granter that is no person at the request: the org's directory (its
SCIM token) or a connection's mapping, whose rights are those of who made the token or last
set the mapping (docs/reference/orgs.md, "Roles and permissions";
docs/decisions/0509-a-refused-grant-of-a-directory-or-a-connection.md).

Nothing of the refused grant is given; what goes on around it (the sign-in, the group's other
members) is the caller's. The refusal is an ``org.member_roles_changed`` with outcome
``failure`` and reason ``permission_escalation`` on the org's audit log, and a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from application.ports import Audit, AuditEvent, AuditLog
from domain.errors import PermissionDenied
from domain.orgs.roles import Granter

log = logging.getLogger("firegate.orgs")
ESCALATION = "permission_escalation"


def is_escalation(error: Exception) -> bool:
    """Whether ``error`` is a grant's refusal (``check_granted``)."""
    return isinstance(error, PermissionDenied) and error.code == ESCALATION


def record_refused_grant(
    org_id: str,
    user_id: str,
    roles: Sequence[str],
    granter: Granter,
    *,
    via: str,
    audit: AuditLog,
) -> None:
    """Record that ``granter`` was refused giving ``roles`` to the member ``user_id``."""
    audit.record(
        AuditEvent(
            Audit.ORG_MEMBER_ROLES_CHANGED,
            outcome="failure",
            user_id=user_id,
            actor_id=granter.rights_of,
            org_id=org_id,
            reason=ESCALATION,
            via=via,
            changes=(("roles", "", " ".join(roles)),),
        )
    )
    log.warning(
        "org %s: %s refused giving %s the roles %s (%s, the rights of %s)",
        org_id,
        granter.kind.value,
        user_id,
        " ".join(roles) or "-",
        ESCALATION,
        granter.rights_of or "a member",
    )
