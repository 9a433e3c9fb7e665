"""Signing in through an org's OpenID connection (docs/reference/sso.md, "Signing in";
docs/decisions/0390-openid-connections-sign-in.md).

The connection is an upstream OpenID provider owned by the org: the round trip is the one
every upstream provider makes (``application/federation/upstream.py``: Authlib's client,
state, nonce, PKCE, the sealed flight, the ID token's checks), to the connection's issuer
with its client id and secret, back to ``/sso/{connection}/oidc/callback``. The person its
ID token (and userinfo) names, read through the connection's mapping, gets the account every
connection's sign-in gives (``application/sso/arrival.py``).

A test sign-in from the connection's setup page makes the same round trip, in any status,
with the setup link in the flight as SAML's does (``application/sso/signin/saml.py``): at the
return the answer is checked alike, and what a sign-in would do is shown, nothing made
(docs/decisions/0397-a-test-sign-in-makes-nothing.md). An org admin's test from the
connection's page carries the admin and the org instead of a setup link
(docs/decisions/0469-the-admins-test-sign-in.md).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from application.federation.upstream import (
    Arrival,
    Departure,
    UpstreamClient,
    client_secret,
    depart,
    returned,
)
from application.orgs.ports import OrgRepository
from application.ports import Clock, SecretBox
from application.sso.arrival import (
    SignInPreview,
    SsoArrivals,
    StartSso,
    VouchedSignIn,
    connection_of,
    identity_provider,
)
from application.sso.assertions import Defaults, asserted
from application.sso.ports import Connections
from application.sso.setup import (
    AdminTrial,
    admin_trial_connection,
    admin_trial_start,
    not_the_admins,
    trial_connection,
)
from domain.errors import Unauthenticated
from domain.federation.upstream import UpstreamProvider
from domain.sso.connections import (
    AttributeMapping,
    Connection,
    ConnectionKind,
    SpAddresses,
    no_such_connection,
)

OIDC = ConnectionKind.OIDC
SCOPE = "openid email profile"
# Asked for only where the IdP's discovery lists it, and the mapping reads groups: an IdP
# that knows no such scope may refuse the request.
GROUPS_SCOPE = "groups"
# An OpenID provider's standard claims, where the mapping names none.
OIDC_DEFAULTS = Defaults(
    email="email", given_name="given_name", family_name="family_name", full_name="name"
)


def upstream_of(connection: Connection) -> UpstreamProvider:
    """The connection as an upstream OpenID provider: its issuer (found by discovery), client
    id and sealed secret, under the provider id its identities are linked under."""
    idp = connection.oidc
    return UpstreamProvider(
        id=identity_provider(connection.id),
        name=connection.name,
        preset="",
        issuer=idp.issuer.rstrip("/"),
        client_id=idp.client_id,
        sealed_secret=idp.sealed_secret,
        scope=SCOPE,
        created_at=connection.created_at,
        optional_scope=GROUPS_SCOPE if connection.mapping.groups else "",
    )


def _wanted(mapping: AttributeMapping) -> tuple[str, ...]:
    """The claims the mapping reads: userinfo is asked when the ID token lacks one."""
    names = (
        mapping.email or OIDC_DEFAULTS.email,
        mapping.given_name or OIDC_DEFAULTS.given_name,
        mapping.family_name or OIDC_DEFAULTS.family_name,
        OIDC_DEFAULTS.full_name,
        mapping.groups,
        *mapping.attributes.values(),
    )
    return tuple(name for name in names if name)


def _attributes(claims: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """The claims as the mapping reads attributes: each a list of texts (a group claim is a
    list; a single text is one, a number or a flag as JSON writes it, for the profile
    attributes; objects are no attribute)."""
    found: dict[str, tuple[str, ...]] = {}
    for name, value in claims.items():
        if isinstance(value, str):
            found[name] = (value,)
        elif isinstance(value, bool):
            found[name] = ("true" if value else "false",)
        elif isinstance(value, int | float):
            found[name] = (str(value),)
        elif isinstance(value, list | tuple):
            found[name] = tuple(v for v in value if isinstance(v, str))
    return found


@dataclass(frozen=True)
class FinishOidc:
    connection_id: str
    answer: Mapping[str, str]  # the IdP's answer: code and state, or an error
    flight: str  # what the browser brought back ("" for none)
    user_agent: str = ""
    client_ip: str = ""
    device_token: str = ""
    signed_in_as: str = ""  # the account whose session came with the answer, if one did


@dataclass(frozen=True, kw_only=True, slots=True)
class OidcSignIn:
    """Signing in through an OpenID connection: to the IdP (``start``) and back
    (``finish``).

    ``client``: the OpenID client (the upstream providers'); ``box`` seals the flights
    and opens the client secret; a connection's ``redirect_uri`` is under
    ``public_url``; ``arrivals``: the account the person gets; ``orgs``: whose admins
    test a connection from its page."""

    orgs: OrgRepository
    connections: Connections
    client: UpstreamClient
    box: SecretBox
    clock: Clock
    public_url: str
    arrivals: SsoArrivals

    def _redirect_uri(self, connection: Connection) -> str:
        return SpAddresses.of(self.public_url, connection.id).redirect_uri

    def start(self, cmd: StartSso) -> Departure:
        """To the active connection's IdP (404 ``connection_not_found`` otherwise); for a
        test sign-in, to the IdP of the complete OpenID connection the setup link still
        opens (400 ``invalid_token``, 409 ``connection_incomplete``), in any status; for an
        admin's test, to the IdP of the org's complete connection (as the connection's page:
        404, 403 ``org_permission_denied``), in any status, as its draft would make it."""
        connections, clock = self.connections, self.clock
        trial = ("", "")
        if cmd.trial_link:
            connection = trial_connection(cmd.trial_link, connections, clock.now(), OIDC)
        elif cmd.tried_by is not None:
            connection, admin = admin_trial_start(
                cmd, OIDC, orgs=self.orgs, connections=connections
            )
            trial = (admin.by, admin.org_id)
        else:
            connection = connection_of(cmd.connection_id, connections, OIDC, active=True)
        return depart(
            upstream_of(connection),
            self._redirect_uri(connection),
            cmd.next,
            client=self.client,
            box=self.box,
            clock=clock.now,
            trial=cmd.trial_link,
            trial_by=trial,
        )

    def finish(self, cmd: FinishOidc) -> Arrival | SignInPreview:
        """The person signed in (or asked for their second factor), a member of the org
        when their address is on its verified domains; for a test sign-in, what would
        happen, with nothing made. 404 for a connection that is not active, unless the
        flight is a test whose setup link still opens it (400 ``invalid_token`` otherwise) or
        an admin's test (``admin_trial_connection``'s refusals; the return, a top-level GET,
        brings the session, which must be the admin's: 403 ``test_sign_in_not_yours``);
        Unauthenticated (upstream_refused) for an answer that is not this browser's
        flight's, an error from the IdP, or an ID token that fails a check."""
        connections, clock, box = self.connections, self.clock, self.box
        connection = connection_of(cmd.connection_id, connections, OIDC, active=False)
        provider = upstream_of(connection)
        try:
            flight = returned(cmd.flight, provider.id, cmd.answer, box=box, clock=clock.now)
        except Unauthenticated:
            if not connection.active:  # no test of it: a draft or switched-off one is not there
                raise no_such_connection() from None
            raise
        if flight.trial:  # the setup link must still open this connection: tried as drafted
            tried = trial_connection(flight.trial, connections, clock.now(), OIDC)
            if tried.id != connection.id:
                raise no_such_connection()
            connection, provider = tried, upstream_of(tried)
        elif flight.trial_by:  # still the org's admin, the connection still there
            if not hmac.compare_digest(cmd.signed_in_as, flight.trial_by):
                raise not_the_admins()
            admin = AdminTrial(flight.trial_by, flight.trial_org)
            connection = admin_trial_connection(
                admin,
                connection.id,
                OIDC,
                cmd.signed_in_as,
                orgs=self.orgs,
                connections=connections,
            )
            provider = upstream_of(connection)
        elif not connection.active:
            raise no_such_connection()
        mapping = connection.mapping
        claims = self.client.claims(
            provider,
            client_secret(provider, box),
            self._redirect_uri(connection),
            cmd.answer,
            flight.authorization,
            wanted=_wanted(mapping),
        )
        person = asserted(mapping, _attributes(claims.claims), OIDC_DEFAULTS)
        # The IdP's own word that the standard address is unverified: no domain proves it
        # then.
        disproven = mapping.email in ("", OIDC_DEFAULTS.email) and claims.email_verified in (
            False,
            "false",
        )
        vouched = VouchedSignIn(
            connection,
            claims.subject,
            person,
            flight.next,
            user_agent=cmd.user_agent,
            client_ip=cmd.client_ip,
            device_token=cmd.device_token,
            disproven=disproven,
            signed_in_as=cmd.signed_in_as,
        )
        if flight.trial or flight.trial_by:
            return self.arrivals.preview(vouched, _attributes(claims.claims), flight.trial)
        return self.arrivals.arrive(vouched)
