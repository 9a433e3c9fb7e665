"""What a ``before_token`` hook is told about a token firegate is about to issue, and how the
claims it answers join the token's own (docs/hooks.md, "before_token")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from domain.accounts.users import User
from domain.signin.active_org import ActiveOrg
from domain.signin.sessions import Session

# The kinds of token the hook is asked about: a session's access token at sign-in
# ("access"), at refresh or renewal ("refresh_access") and at an org switch ("org_switch");
# the OpenID provider's ID token and access token; a Firebase custom token.
TokenKind = Literal[
    "access", "refresh_access", "org_switch", "id_token", "provider_access", "firebase_custom"
]
NO_CLAIMS: Mapping[str, object] = {}
# The reserved claims: every name firegate writes in a token of its own, and the person's
# identity claims that other systems trust (docs/hooks.md, "before_token"). A before_token
# hook's answer naming one is a failed call, a profile attribute released as a claim may not
# take one, and none is ever taken from a hook's claims (``kept_claims``): a token's subject,
# its org, its grant, its role and whose address it is are firegate's alone.
RESERVED_CLAIMS = frozenset(
    (
        # JWT's and OpenID Connect's own, in any token
        *("iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "amr", "acr", "azp"),
        *("nonce", "auth_time", "at_hash", "c_hash", "scope", "client_id", "cnf", "act"),
        # a session's access token (docs/reference/sessions.md, "The tokens")
        *("user_id", "role", "org"),
        # the OpenID provider's access token
        *("grant_id", "userinfo_claims", "hook_claims"),
        # the provider's ID token and userinfo, by scope (docs/reference/oauth.md)
        *("preferred_username", "name", "given_name", "family_name", "locale", "updated_at"),
        *("email", "email_verified", "roles", "org_id", "org_slug", "org_roles"),
        "org_permissions",
        # a Firebase custom token's developer claims, and the ID token Firebase makes of it
        *("token_version", "org_version", "firebase", "picture"),
        # the person's phone, as OpenID Connect and Firebase's ID tokens name it
        *("phone_number", "phone_number_verified"),
    )
)


@dataclass(frozen=True, slots=True)
class TokenHookRequest:
    """The hook's payload: the person, and the session, client and org the token is for
    (None where the token has none)."""

    token_kind: TokenKind
    user: Mapping[str, object]
    session: Mapping[str, object] | None = None
    client: Mapping[str, object] | None = None
    org: Mapping[str, object] | None = None


def user_fields(user: User) -> dict[str, object]:
    """The person as the hook reads them."""
    return {
        "id": user.id,
        "email": user.email.value if user.email is not None else None,
        "email_verified": user.email_verified,
        "username": user.username.value,
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


def kept_claims(answer: Mapping[str, object]) -> Mapping[str, object]:
    """The hook's claims firegate adds to a token: no reserved one (the answer is checked
    before; this holds whatever hook answered)."""
    if not answer:
        return NO_CLAIMS
    return {name: value for name, value in answer.items() if name not in RESERVED_CLAIMS}
