"""What would outlast a session, or change who the person is and how they sign in: the
kinds of change a session some other person acts in (support access) may not make
(docs/support-access.md, "What is refused"). Its time box ends with the session; these
would not. Each unit says which of its own routes make each kind (``OUTLASTING_ROUTES``,
application/accounts/accounts.py); the unit that makes such sessions refuses them."""

from __future__ import annotations

from enum import StrEnum


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
