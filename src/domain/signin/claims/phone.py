"""Phone sign-in's claim sources: the person's number, as OpenID Connect names it (scope
``phone``: ID token, userinfo) and as Firebase's security rules read it (a custom token's
``phone_number``, proven numbers only) (docs/reference/phone.md, "Claims and tokens")."""

from __future__ import annotations

from domain.signin.claims.sources import ClaimSource, Minting


def phone_number(minting: Minting) -> str | None:
    """The account's number; in a custom token only a proven one (an unproven number is no
    one's yet). OpenID Connect Core §5.3.2: a claim the account lacks is left out, never
    null (docs/decisions/0537-the-phone-scope-claims.md)."""
    user = minting.user
    if user is None:
        return None
    return user.proven_phone_number if minting.kind == "firebase_custom" else user.phone_number


def phone_number_verified(minting: Minting) -> bool | None:
    user = minting.user
    return user.phone_number_verified if user is not None and user.phone_number else None


PHONE_CLAIMS = (
    ClaimSource(
        name="phone_number",
        kinds=frozenset({"id_token", "userinfo", "firebase_custom"}),
        scopes=("phone",),
        value=phone_number,
    ),
    ClaimSource(
        name="phone_number_verified",
        kinds=frozenset({"id_token", "userinfo"}),
        scopes=("phone",),
        value=phone_number_verified,
    ),
)
