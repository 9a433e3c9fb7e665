"""The signin unit's own claim source: the class of the sign-in behind a token (``acr``,
docs/reference/acr.md), in every token of a person's sign-in and in the answers about one."""

from __future__ import annotations

from domain.signin.acr import acr_of, is_acr
from domain.signin.claims.sources import ClaimSource, Minting


def sign_in_class(minting: Minting) -> object | None:
    """The class the sign-in's methods make; with none, the class of the token the minting
    is made of (an exchange's subject, an app's token for a custom token). Introspection
    answers the token's; userinfo only where its ``claims`` request asked it."""
    acr: object = minting.token.get("acr")
    if minting.kind == "introspection":
        return acr
    if minting.kind == "userinfo":
        return acr if "acr" in minting.asked and isinstance(acr, str) else None
    if minting.amr:
        return acr_of(minting.amr)
    return acr if is_acr(acr) else None


ACR = ClaimSource(
    name="acr",
    kinds=frozenset(
        {"access", "id_token", "provider_access", "id_jag", "userinfo", "introspection"}
    ),
    value=sign_in_class,
)
