"""What a ``before_token`` hook is told about a token firegate is about to issue (sign-in, the
provider and Firebase build it: domain/signin/hook_kinds.py), and the claims its answer may
never set (docs/hooks.md, "before_token")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

# The kinds of token the hook is asked about: a session's access token at sign-in
# ("access"), at refresh or renewal ("refresh_access") and at an org switch ("org_switch");
# the OpenID provider's ID token and access token; a Firebase custom token.
TokenKind = Literal[
    "access", "refresh_access", "org_switch", "id_token", "provider_access", "firebase_custom"
]
NO_CLAIMS: Mapping[str, object] = {}
# The token frame's reserved claims: every name firegate's mintings write themselves, and the
# person's identity claims that other systems trust (docs/hooks.md, "before_token"). The
# claims the units add are reserved with them by their sources (``ClaimSources.reserved``,
# domain/signin/claims/sources.py): a before_token hook's answer naming one is a failed call,
# a profile attribute released as a claim may not take one, and none is ever taken from a
# hook's claims (``kept_claims``): a token's subject, its org, its grant, its role and whose
# address it is are firegate's alone.
RESERVED_CLAIMS = frozenset(
    (
        # JWT's and OpenID Connect's own, in any token
        *("iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "amr", "azp"),
        *("nonce", "auth_time", "at_hash", "c_hash", "scope", "client_id", "cnf"),
        # a session's access token (docs/reference/sessions.md, "The tokens")
        *("user_id", "role", "org"),
        # the OpenID provider's access token
        *("grant_id", "userinfo_claims", "hook_claims", "act_grants"),
        # the provider's ID token and userinfo, by scope (docs/reference/oauth.md)
        *("preferred_username", "name", "given_name", "family_name", "locale", "updated_at"),
        *("email", "email_verified", "roles", "org_id", "org_slug", "org_roles"),
        "org_permissions",
        # OpenID Connect's phone scope's, which the discovery names whether or not a unit
        # gives their values (the phone unit's claim sources)
        *("phone_number", "phone_number_verified"),
        # a Firebase custom token's developer claims, and the ID token Firebase makes of it
        *("token_version", "org_version", "firebase", "picture"),
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
