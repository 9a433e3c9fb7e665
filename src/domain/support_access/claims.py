"""Support access's claim sources: every token of a session or grant of support access names
the admin acting as the person in ``act`` (RFC 8693), and its Firebase custom token says when
the session ends, which Firebase's own refreshes would not see (docs/support-access.md,
docs/decisions/0586-impersonation-in-firebase.md)."""

from __future__ import annotations

from domain.signin.claims.sources import ClaimSource, Minting


def acting_admin(minting: Minting) -> dict[str, str] | None:
    """``{"sub": the admin}``; introspection answers the token's own ``act``."""
    if minting.kind == "introspection":
        act = minting.token.get("act")
        return act if isinstance(act, dict) else None
    admin = minting.acting_admin_id
    return {"sub": admin} if admin is not None else None


def impersonation_ends(minting: Minting) -> int | None:
    session = minting.session
    if session is None or not session.impersonated:
        return None
    return int(session.expires_at.timestamp())


SUPPORT_ACCESS_CLAIMS = (
    ClaimSource(
        name="act",
        kinds=frozenset(
            {"access", "id_token", "provider_access", "id_jag", "firebase_custom", "introspection"}
        ),
        value=acting_admin,
    ),
    ClaimSource(
        name="impersonation_ends", kinds=frozenset({"firebase_custom"}), value=impersonation_ends
    ),
)
