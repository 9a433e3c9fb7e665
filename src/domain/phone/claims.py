"""Phone sign-in's claim sources: the person's number, as OpenID Connect names it (scope
``phone``: ID token, userinfo) and as Firebase's security rules read it (a custom token's
``phone_number``, proven numbers only) (docs/reference/phone.md, "Claims and tokens")."""

from __future__ import annotations

from domain.accounts.identities import PhoneNumber
from domain.signin.claims.sources import ClaimSource, Minting


def phone_number(minting: Minting) -> str | None:
    """The account's number; in a custom token only a proven one (an unproven number is no
    one's yet). OpenID Connect Core §5.3.2: a claim the account lacks is left out, never
    null (docs/decisions/0537-the-phone-scope-claims.md)."""
    if minting.user is None:
        return None
    phone = minting.user.part(PhoneNumber)
    return phone.proven if minting.kind == "firebase_custom" else phone.number


def phone_number_verified(minting: Minting) -> bool | None:
    phone = minting.user.part(PhoneNumber) if minting.user is not None else None
    return phone.verified if phone is not None and phone.number else None


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
