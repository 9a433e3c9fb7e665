"""What a ``before_token`` hook is told about a token firegate is about to issue, and how the
claims it answers join the token's own (docs/hooks.md, "before_token"): the person, the
session and the org as the hook reads them, made here of signin's records; the request's
shape and the reserved claims are the hooks' (domain/hooks/before_token.py)."""

from __future__ import annotations

from collections.abc import Mapping

from domain.accounts.users import User
from domain.hooks.before_token import NO_CLAIMS
from domain.signin.active_org import ActiveOrg
from domain.signin.sessions import Session


def user_fields(user: User) -> dict[str, object]:
    """The person as the hook reads them."""
    return {
        "id": user.id,
        "email": user.email.value if user.email is not None else None,
        "email_verified": user.email_verified,
        "username": user.username.value if user.username is not None else None,
        "role": user.role.value,
        "name": user.name,
        "last_name": user.last_name,
        "attributes": dict(user.attributes),
    }


def session_fields(session: Session) -> dict[str, object]:
    """A session as the hook reads it."""
    return {
        "id": session.id,
        "amr": list(session.amr),
        "created_at": session.created_at.isoformat(),
    }


def org_fields(org: ActiveOrg | None) -> dict[str, object] | None:
    """The org the token names, as the hook reads it (None: no org)."""
    if org is None:
        return None
    return {"id": org.id, "slug": org.slug, "roles": list(org.roles)}


def kept_claims(answer: Mapping[str, object], reserved: frozenset[str]) -> Mapping[str, object]:
    """The hook's claims firegate adds to a token: no ``reserved`` one (the answer is checked
    before; this holds whatever hook answered, and a session's claims kept from before a
    claim was a unit's)."""
    if not answer:
        return NO_CLAIMS
    return {name: value for name, value in answer.items() if name not in reserved}
