"""What would outlast a session, or change who the person is and how they sign in: the
kinds of change a session some other person acts in (support access) may not make
(docs/support-access.md, "What is refused"). Its time box ends with the session; these
would not. Each unit says which of its own routes make each kind (``OUTLASTING_ROUTES``, below); the
unit that makes such sessions refuses them (``require_own_session``,
application/accounts/accounts.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from domain.slots import Slot


class Outlasting(StrEnum):
    """A kind of change a session of support access is refused (403
    ``impersonation_forbidden``)."""

    PASSWORD = "password"  # the account's password
    FACTORS = "factors"  # two-step sign-in, recovery codes, passkeys
    ADDRESSES = "addresses"  # the e-mail address, the phone number
    USERNAME = "username"
    IDENTITIES = "identities"  # another provider connected or disconnected
    DELETION = "deletion"  # the account's, or an organization's
    PERSONAL_TOKENS = "personal_tokens"
    SCIM_TOKENS = "scim_tokens"  # an organization's directory tokens
    CLIENTS = "clients"  # an organization's apps (OAuth clients) and their secrets
    GRANTS = "grants"  # an app's consent at the OpenID provider, a device's approval
    INVITATIONS = "invitations"
    ROLES = "roles"  # who holds which role in an org (joining, leaving), what a role permits
    ORG_SETTINGS = "org_settings"  # an org's settings and policies: domains, single sign-on, agents
    SUPPORT_ACCESS = "support_access"  # another session of support access, of anyone


# A unit's routes that make or change one kind of what outlasts a session: each (method,
# rule as the route declares it) of its own blueprints and pages.
type OutlastingRoutes = tuple[Outlasting, tuple[tuple[str, str], ...]]

# The accounts' slot of those routes, each unit's own in its record (docs/contributing.md,
# "Units"): the routes only the person's own session is served (``require_own_session``),
# which sign-in's session guards are made of (``SESSION_GUARDS``).
OUTLASTING_ROUTES = Slot[OutlastingRoutes]("the routes that outlast a session")


def outlasting_routes(filled: Iterable[OutlastingRoutes]) -> Mapping[tuple[str, str], Outlasting]:
    """The routes ``filled`` (the units' ``OUTLASTING_ROUTES``) name, each with its kind. A
    route named twice stops the start: a route is its own unit's, named once."""
    found: dict[tuple[str, str], Outlasting] = {}
    for kind, routes in filled:
        for route in routes:
            if route in found:
                raise ValueError(f"{OUTLASTING_ROUTES.name}: {route[0]} {route[1]} twice")
            found[route] = kind
    return found
