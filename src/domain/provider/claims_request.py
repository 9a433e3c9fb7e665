"""OpenID Connect Core §5.5: the ``claims`` authorization request parameter, the individual
claims an app asks for in the ID token and at userinfo, essential or voluntary. firegate
releases such a claim only within the scope it belongs to (which the client must be allowed,
and the person is asked to consent to): the parameter moves and adds claims, it never widens
what an app may learn (docs/decisions/0409-the-claims-parameter.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from domain.errors import InvalidInput

# The claims each scope gives (docs/reference/oauth.md, "Scopes and claims") that a ``claims``
# request may name; ``sub`` and the rest of the ID token's own are always there.
SCOPE_OF_CLAIM = {
    "preferred_username": "profile",
    "name": "profile",
    "given_name": "profile",
    "family_name": "profile",
    "locale": "profile",
    "updated_at": "profile",
    "email": "email",
    "email_verified": "email",
    "roles": "roles",
    "phone_number": "phone",
    "phone_number_verified": "phone",
}
# Every claim firegate gives in ID tokens and at userinfo (the metadata's ``claims_supported``)
PROVIDER_CLAIMS = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "acr",
    "sid",
    "at_hash",
    "jti",  # an ID token's: unique, and it names the grant of the sign-in
    *SCOPE_OF_CLAIM,
    "org_id",
    "org_slug",
    "org_roles",
    "org_permissions",
)
# The scopes that release claims about the person: a profile attribute's ``x-scope`` is one
CLAIM_SCOPES = ("openid", "profile", "email", "roles", "organization", "phone")
MAX_CLAIMS_CHARS = 4000
# Claims of the sign-in rather than of a scope, which userinfo answers when asked
USERINFO_ONLY = ("acr",)
# Where a claims request may ask for claims (§5.5); a member elsewhere is refused
TARGETS = ("id_token", "userinfo")


@dataclass(frozen=True)
class ClaimsRequest:
    """The names asked for each target that firegate has (others are ignored, as §5.5.1
    lets a provider do, essential or not)."""

    id_token: tuple[str, ...] = ()
    userinfo: tuple[str, ...] = ()

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes the claims asked for belong to: consent covers them."""
        names = (*self.id_token, *self.userinfo)
        return tuple(dict.fromkeys(SCOPE_OF_CLAIM[n] for n in names if n in SCOPE_OF_CLAIM))

    def within(self, allowed: tuple[str, ...]) -> ClaimsRequest:
        """Only the claims of scopes the client may have."""

        def kept(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(name for name in names if SCOPE_OF_CLAIM.get(name, "openid") in allowed)

        return ClaimsRequest(kept(self.id_token), kept(self.userinfo))


def _malformed(detail: str) -> InvalidInput:
    return InvalidInput.field("claims", detail, "invalid_claims")


def parse_claims(raw: str | None) -> ClaimsRequest:
    """The ``claims`` parameter (a JSON object); an empty one when absent. Malformed JSON, or
    members of the wrong shape (§5.5: objects of claim names, each null or an object with
    ``essential``, ``value`` or ``values``), are refused."""
    if not raw:
        return ClaimsRequest()
    if len(raw) > MAX_CLAIMS_CHARS:
        raise _malformed(f"The claims parameter is at most {MAX_CLAIMS_CHARS} characters.")
    try:
        found = json.loads(raw)
    except (ValueError, RecursionError):  # nested deeper than the decoder goes: no claims
        raise _malformed("The claims parameter is not JSON.") from None
    if not isinstance(found, dict):
        raise _malformed("The claims parameter is a JSON object.")
    asked: dict[str, tuple[str, ...]] = {}
    for target, members in found.items():
        if target not in TARGETS:
            continue  # another member (a later specification's): ignored
        if not isinstance(members, dict):
            raise _malformed(f"claims.{target} is an object of claim names.")
        for name, wanted in members.items():
            if wanted is not None and not isinstance(wanted, dict):
                raise _malformed(f"claims.{target}.{name} is null or an object.")
            if isinstance(wanted, dict) and not isinstance(wanted.get("essential", False), bool):
                raise _malformed(f"claims.{target}.{name}.essential is true or false.")
        # ``acr`` at userinfo: the token's, of no scope (docs/reference/acr.md); the ID
        # token carries it whatever is asked
        wanted_here = (*SCOPE_OF_CLAIM, *(USERINFO_ONLY if target == "userinfo" else ()))
        asked[target] = tuple(name for name in members if name in wanted_here)
    return ClaimsRequest(asked.get("id_token", ()), asked.get("userinfo", ()))


def asked_acr(raw: str | None) -> tuple[tuple[str, ...], bool]:
    """The ``acr`` claim a ``claims`` request asks of the ID token (§5.5.1.1): its
    ``values`` (or ``value``) and whether it is essential; ``((), False)`` when it asks none.
    The parameter is checked by ``parse_claims`` first."""
    parse_claims(raw)
    if not raw:
        return (), False
    wanted = json.loads(raw).get("id_token", {}).get("acr")
    if not isinstance(wanted, dict):
        return (), False
    values = wanted.get("values", [wanted["value"]] if "value" in wanted else [])
    if not isinstance(values, list):
        return (), False
    named = tuple(value for value in values if isinstance(value, str))
    return named, bool(wanted.get("essential", False))
