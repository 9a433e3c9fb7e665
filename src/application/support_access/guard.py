"""Support access's session guard, lent to sign-in's slot (``SESSION_GUARDS``), and the
one list it applies: what a session of support access may not do, route by route
(docs/support-access.md, "What is refused"). Each route that makes or changes something that
outlasts a session names its kind here (``Outlasting``: what, and why on the pages).

The list is declared here once and applied where a request's actor is built: the API's bearer
decorators (interfaces/http/auth.py) and the pages' signed-in session
(interfaces/web/browser.py) hand the route to ``Authentication.authenticate``, which asks this
guard: a session of support access is refused these (403 ``impersonation_forbidden``). The
pages show each form that posts to one of these routes disabled, with the reason
(interfaces/web/support_access/impersonation.py). A route of the API and a page that make the
same change are both here; a test walks the route table so that a new one cannot be missed
(docs/security.md, "Support access")."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from application.accounts.accounts import require_own_session
from application.signin.authentication import Route
from domain.signin.sessions import Session
from domain.support_access.outlasting import Outlasting

_BY_KIND: Mapping[Outlasting, tuple[tuple[str, str], ...]] = {
    Outlasting.PASSWORD: (
        ("PUT", "/user/password"),
        ("POST", "/auth/guest/upgrade"),  # a guest's first password, username and address
        ("POST", "/account/password"),
    ),
    Outlasting.FACTORS: (
        ("POST", "/auth/mfa/totp"),
        ("POST", "/auth/mfa/totp/confirm"),
        ("DELETE", "/auth/mfa/totp"),
        ("POST", "/auth/mfa/recovery-codes"),
        ("POST", "/auth/passkeys/registration/options"),
        ("POST", "/auth/passkeys/registration"),
        ("DELETE", "/auth/passkeys/<passkey_id:passkey_id>"),
        ("POST", "/account/totp"),
        ("POST", "/account/totp/confirm"),
        ("POST", "/account/totp/disable"),
        ("POST", "/account/totp/recovery-codes"),
        ("POST", "/account/passkeys/options"),
        ("POST", "/account/passkeys"),
        ("POST", "/account/passkeys/<passkey_id>/rename"),
        ("POST", "/account/passkeys/<passkey_id>/delete"),
        ("POST", "/sign-up/recovery-codes"),
    ),
    # The e-mail address is the profile's field: its change is refused by the use case,
    # which the same routes make beside changes of the names (docs/support-access.md).
    Outlasting.ADDRESSES: (
        ("POST", "/user/phone/verify"),
        ("DELETE", "/user/phone"),
        ("POST", "/account/phone"),
        ("POST", "/account/phone/again"),
        ("POST", "/account/phone/verify"),
        ("POST", "/account/phone/remove"),
    ),
    Outlasting.IDENTITIES: (
        ("DELETE", "/auth/identities/<provider>"),
        ("POST", "/auth/firebase"),  # with a guest's bearer token: the guest's first identity
        ("POST", "/auth/identities/<provider>/token"),  # the same, from a native app
        ("POST", "/account/connect"),
        ("POST", "/account/identities/<provider>/disconnect"),
    ),
    Outlasting.DELETION: (
        ("DELETE", "/user"),
        ("DELETE", "/api/users/<user_id:user_id>"),
        ("DELETE", "/orgs/<org:org>"),
        ("POST", "/account/delete"),
        ("POST", "/account/orgs/<org>/delete"),
    ),
    Outlasting.PERSONAL_TOKENS: (
        ("POST", "/auth/tokens"),
        ("POST", "/account/tokens"),
    ),
    Outlasting.SCIM_TOKENS: (
        ("POST", "/orgs/<org>/scim/tokens"),
        ("POST", "/account/orgs/<org>/scim/tokens"),
    ),
    Outlasting.CLIENTS: (
        ("POST", "/orgs/<org>/clients"),
        ("PATCH", "/orgs/<org>/clients/<client_id>"),
        ("POST", "/account/orgs/<org>/apps"),
        ("POST", "/account/orgs/<org>/apps/<client_id>"),
    ),
    Outlasting.GRANTS: (
        ("POST", "/oauth/authorize/consent"),
        ("POST", "/device"),
    ),
    Outlasting.INVITATIONS: (
        ("POST", "/orgs/<org>/invitations"),
        ("POST", "/account/orgs/<org>/invitations"),
    ),
    Outlasting.ROLES: (
        ("PATCH", "/orgs/<org>/members/<user_id>"),
        ("DELETE", "/orgs/<org>/members/<user_id>"),
        ("PUT", "/orgs/<org>/roles/<role>"),
        ("DELETE", "/orgs/<org>/roles/<role>"),
        ("POST", "/orgs/<org>/join"),
        ("POST", "/orgs/invitations/accept"),
        ("POST", "/account/orgs/<org>/members/<user_id>/roles"),
        ("POST", "/account/orgs/<org>/members/<user_id>/remove"),
        ("POST", "/account/orgs/<org>/roles"),
        ("POST", "/account/orgs/<org>/roles/<role>"),
        ("POST", "/account/orgs/<org>/roles/<role>/delete"),
        ("POST", "/account/orgs/<org>/join"),
        ("POST", "/account/orgs/<org>/leave"),
        ("POST", "/orgs/join"),
    ),
    Outlasting.ORG_SETTINGS: (
        ("PATCH", "/orgs/<org:org>"),
        ("PUT", "/orgs/<org>/agent-policy"),
        ("PUT", "/orgs/<org>/brand"),
        ("DELETE", "/orgs/<org>/brand"),
        ("PUT", "/orgs/<org>/sender"),
        ("DELETE", "/orgs/<org>/sender"),
        ("POST", "/orgs/<org>/sender/verify"),
        ("PUT", "/orgs/<org>/sign-in-domain"),
        ("DELETE", "/orgs/<org>/sign-in-domain"),
        ("POST", "/orgs/<org>/sign-in-domain/verify"),
        ("POST", "/orgs/<org>/domains"),
        ("POST", "/orgs/<org>/domains/<domain>/verify"),
        ("DELETE", "/orgs/<org>/domains/<domain>"),
        ("POST", "/orgs/<org>/connections"),
        ("PATCH", "/orgs/<org>/connections/<connection_id>"),
        ("DELETE", "/orgs/<org>/connections/<connection_id>"),
        ("POST", "/orgs/<org>/sso/setup-links"),
        ("DELETE", "/orgs/<org>/sso/setup-links/<connection_id>"),
        ("POST", "/orgs/<org>/log-streams"),
        ("DELETE", "/orgs/<org>/log-streams/<stream_id:stream_id>"),
        ("POST", "/orgs/<org>/log-streams/<stream_id:stream_id>/resume"),
        ("POST", "/orgs/<org>/log-streams/setup-links"),
        ("POST", "/account/orgs/<org>/settings"),
        ("POST", "/account/orgs/<org>/agents"),
        ("POST", "/account/orgs/<org>/brand"),
        ("POST", "/account/orgs/<org>/brand/delete"),
        ("POST", "/account/orgs/<org>/domains"),
        ("POST", "/account/orgs/<org>/domains/<domain>/verify"),
        ("POST", "/account/orgs/<org>/domains/<domain>/delete"),
        ("POST", "/account/orgs/<org>/sso/policy"),
        ("POST", "/account/orgs/<org>/sso/setup-links"),
        ("POST", "/account/orgs/<org>/sso/<connection_id>/name"),
        ("POST", "/account/orgs/<org>/sso/<connection_id>/status"),
        ("POST", "/account/orgs/<org>/sso/<connection_id>/idp-initiated"),
        ("POST", "/account/orgs/<org>/sso/<connection_id>/delete"),
    ),
    Outlasting.SUPPORT_ACCESS: (
        ("POST", "/admin/users/<user_id:user_id>/impersonate"),
        ("POST", "/orgs/<org>/members/<user_id>/impersonate"),
        ("POST", "/admin/users/<user_id>/act-as"),
        ("POST", "/account/orgs/<org>/members/<user_id>/act-as"),
    ),
}

# The same list by route: (method, rule as the route declares it) -> what it changes.
REFUSED: Mapping[tuple[str, str], Outlasting] = {
    route: kind for kind, routes in _BY_KIND.items() for route in routes
}


@dataclass(frozen=True, kw_only=True, slots=True)
class OwnSessionOnly:
    """``refused``: the routes only the person's own session is served (403
    ``impersonation_forbidden`` to a session an admin acts in)."""

    refused: Collection[Route]

    def check(self, session: Session, route: Route | None) -> None:
        if route is not None and route in self.refused:
            require_own_session(session)
