"""The hook kinds sign-in asks (docs/hooks.md): ``before_token`` for every token's claims,
``before_sign_in`` at the end of every way in, and ``password_verification`` for a legacy
account's password; signin's unit lends them to the hooks (bootstrap/signin.py). And what a
``before_token`` hook is told about a token firegate is about to issue, and how the claims it
answers join the token's own ("before_token"): the person, the session and the org as the
hook reads them, made here of signin's records; the request's shape and the reserved claims
are the hooks' (domain/hooks/before_token.py)."""

from __future__ import annotations

from collections.abc import Mapping

from domain.accounts.users import User
from domain.hooks.auth_hooks import (
    SignInAnswer,
    checked_claims,
    checked_password_verdict,
    checked_sign_in_answer,
)
from domain.hooks.before_token import NO_CLAIMS
from domain.hooks.kinds import HookKind, answer_only
from domain.signin.active_org import ActiveOrg
from domain.signin.sessions import Session

_ADA = {"id": "u_sample", "username": "ada", "email": "ada@example.com"}

BEFORE_TOKEN = HookKind[Mapping[str, object]](
    name="before_token",
    check=checked_claims,
    samples={
        "access": {
            "token_kind": "access",
            "user": _ADA,
            "session": {"id": "s_sample", "amr": ["pwd"]},
            "client": None,
            "org": None,
        },
        "id_token": {
            "token_kind": "id_token",
            "user": _ADA,
            "session": None,
            "client": {"client_id": "c_sample", "name": "Sample app"},
            "org": {"id": "o_sample", "slug": "acme"},
        },
    },
)

BEFORE_SIGN_IN = HookKind[SignInAnswer](
    name="before_sign_in",
    check=checked_sign_in_answer,
    samples={
        "password": {
            "user": _ADA,
            "method": "password",
            "amr": ["pwd"],
            "org": None,
            "client": None,
            "context": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0"},
        },
        "sso": {
            "user": {"id": "u_sample", "username": None, "email": "grace@acme.example"},
            "method": "sso",
            "amr": ["fed"],
            "org": {"id": "o_sample"},
            "client": {"client_id": "c_sample"},
            "context": {"ip": "2001:db8::7", "user_agent": "Mozilla/5.0"},
        },
    },
)

PASSWORD_VERIFICATION = HookKind[bool](
    name="password_verification",
    check=answer_only(checked_password_verdict),
    samples={
        "legacy_sign_in": {
            "user": {"id": "u_sample", "email": "ada@example.com", "username": "ada"},
            "password": "correct horse battery staple",
        },
    },
)


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
