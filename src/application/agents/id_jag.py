"""Redeeming an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant) at the token
endpoint's JWT bearer grant (RFC 7523 §2.1): whose word it is (firegate's own keys, or an
org's OpenID connection's issuer, with the keys that connection's sign-in reads), which
account it names (the one that connection links the ``sub`` to, as its sign-in finds it; for
firegate's own, the account of the sign-in it was minted from, while that sign-in holds), for
which resource, and its ``jti`` spent once, with the grant it gives created in the same commit
(docs/agents-and-clis.md, "An enterprise's IdP: ID-JAG";
docs/decisions/0552-redeeming-an-id-jag.md, 0620-an-id-jag-keeps-its-sign-in.md,
0621-an-id-jags-issuer-found-with-its-org.md).

Minting one (``IdJagMint``) is signed with the provider's keys, as ID tokens are, with the
claim sources every minting iterates (kind ``id_jag``). Both are built by the provider on its
internals (``ON_THE_PROVIDER``, application/provider/slots.py: src/bootstrap/agents.py).

The claims' own rules are domain/agents/id_jag.py's; every refusal is ``JagRefused``,
which the grant answers as ``invalid_grant``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from application.federation.upstream import client_secret
from application.ports import Clock
from application.provider.grants import read_live_grant
from application.provider.minting import Minted, now_of, signer_of, within_support_access
from application.provider.ports import OAuthPolicy, ProviderTokens
from application.provider.slots import ProviderParts
from application.provider.tokens import GRANT_CLAIM
from application.sso.arrival import identity_provider
from application.sso.signin.oidc import upstream_of
from domain.accounts.users import User
from domain.agents.id_jag import (
    JAG_ALGORITHMS,
    IdJag,
    JagRefused,
    OwnSignIn,
    check_claims,
    check_header,
    id_jag_claims,
    own_sign_in,
)
from domain.clients.oauth import OAuthClient
from domain.errors import DomainError
from domain.ids import is_id, new_id
from domain.provider.grants import Grant
from domain.signin.claims.sources import ClaimSources, Minting
from domain.signin.mfa import FEDERATED
from domain.sso.connections import Connection

NOT_A_JWT = "The assertion is not a signed JWT."
UNKNOWN_ISSUER = (
    "The ID-JAG's issuer is not trusted here: firegate itself, or an organization's active "
    "OpenID connection (for an organization's app, that organization's)."
)
BAD_SIGNATURE = "The ID-JAG's signature is not one of its issuer's keys."
KEYS_UNREADABLE = "The issuer's keys cannot be read right now; try again."
NO_ACCOUNT = "The ID-JAG names no account here that may sign in."
NOT_A_MEMBER = (
    "The ID-JAG names someone who is not a member of the organization whose identity "
    "provider issued it."
)
NOT_A_RESOURCE = "The ID-JAG's resource is not an API resource this client may have tokens for."
ANOTHER_ORGS_RESOURCE = (
    "The ID-JAG's resource does not allow the organization whose identity provider issued it."
)
TWO_ACCOUNTS = (
    "The ID-JAG's issuer speaks for several organizations here, and names another account "
    "in each: whom it names is unclear."
)
SIGN_IN_ENDED = (
    "The sign-in the ID-JAG was minted from has ended: the person signed out everywhere or "
    "removed the app, the account is disabled, or its session of support access is over."
)
REPLAYED = "The ID-JAG was already redeemed: each is redeemed once."


class SignedAssertions(Protocol):
    """Reads JWTs signed by others (an ID-JAG): their parts, and whether a key signed one."""

    def parts(self, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The header and the claims of a compact JWS, unverified; None if it is not one."""
        ...

    def verified(
        self, token: str, keys: list[dict[str, Any]], algorithms: tuple[str, ...]
    ) -> dict[str, Any] | None:
        """Its claims if one of ``keys`` (public JWKs) signed it with one of ``algorithms``;
        None otherwise. No claim is checked here."""
        ...


@dataclass(frozen=True)
class RedeemJag:
    assertion: str
    client: OAuthClient  # the client that authenticated: the ID-JAG's ``client_id``


@dataclass(frozen=True)
class VouchedPerson:
    """An ID-JAG that passed, the account it names, and the org whose IdP vouched (None:
    firegate's own word). What the sign-in behind it proved, for the token it gives as for
    any token of a sign-in: its methods (``amr``: firegate's own ID-JAG's; a sign-in through
    an org's IdP is a federated one) and time, and for firegate's own the grant of that
    sign-in (``source``), read live: the admin of support access it names, and its end."""

    jag: IdJag
    user: User
    org_id: str | None = None
    amr: tuple[str, ...] = (FEDERATED,)
    auth_time: datetime | None = None
    source: Grant | None = None


@dataclass(frozen=True)
class SpendJag:
    vouched: VouchedPerson
    client_id: str
    scope: tuple[str, ...]  # what the token carries: the ID-JAG's, within the client's


@dataclass(frozen=True)
class SpentJag:
    vouched: VouchedPerson
    grant: Grant  # ``granted``'s: created as the ID-JAG's ``jti`` is spent


@dataclass(frozen=True, kw_only=True, slots=True)
class JagRedemptions:
    """ID-JAGs redeemed on the provider's ``parts``: its keys are firegate's own (None: the
    provider is off), its ``connections`` and ``upstream`` (with ``box`` opening a
    connection's client secret) find an org's issuer and its keys, its ``identities`` the
    account a connection links a ``sub`` to, its ``orgs`` whether it is a member of the
    connection's org, its ``catalogue`` the API resources, its ``grants`` keep the spent
    ``jti`` with the grant given, its ``holders`` read the grant of the sign-in behind
    firegate's own with its account; ``assertions`` read a JWT and check its signature."""

    parts: ProviderParts
    assertions: SignedAssertions

    def vouched(self, cmd: RedeemJag) -> VouchedPerson:
        """The person an ID-JAG stands for, or ``JagRefused``: its header, its issuer trusted
        and its signature theirs, its claims (``check_claims``), an account the issuer names,
        and its resource one the client may have (an org's IdP's: one that allows the org)."""
        parts = self.assertions.parts(cmd.assertion)
        if parts is None:
            raise JagRefused(NOT_A_JWT)
        header, unverified = parts
        check_header(header)
        issuer = unverified.get("iss")
        connections: list[Connection] = []
        if issuer == self.parts.policy.issuer and self.parts.keys is not None:
            keys = self.parts.keys.public_jwks()
        else:
            connections = self._connections(issuer, cmd.client)
            keys = self._keys_of(connections[0])  # one issuer: one IdP, one set of keys
        claims = self.assertions.verified(cmd.assertion, keys, JAG_ALGORITHMS)
        if claims is None or claims.get("iss") != issuer:
            raise JagRefused(BAD_SIGNATURE)
        now = self.parts.clock.now()
        jag = check_claims(
            claims, audience=self.parts.policy.issuer, client_id=cmd.client.client_id, now=now
        )  # fmt: skip
        self._check_resource(jag.resource, cmd.client)
        if not connections:
            return self._own(jag, own_sign_in(claims, now), now)
        connection, user = self._person(jag, connections)
        return VouchedPerson(jag, user, connection.org_id)

    def granted(self, cmd: SpendJag) -> Grant:
        """The grant the ID-JAG gives (issued, no refresh token), not stored yet: the
        person's at their sessions' version now, of support access (ending with its
        session) where the sign-in behind firegate's own ID-JAG was."""
        vouched, now = cmd.vouched, self.parts.clock.now()
        source = vouched.source
        return Grant(
            id=new_id(),
            user_id=vouched.user.id,
            client_id=cmd.client_id,
            scope=" ".join(cmd.scope),
            created_at=now,
            token_version=vouched.user.token_version,
            issued=True,
            resource=vouched.jag.resource,
            acting_admin_id=source.acting_admin_id if source is not None else None,
            acting_until=source.acting_until if source is not None else None,
        )

    def spend(self, cmd: SpentJag) -> None:
        """The grant (``granted``) created as the ID-JAG's ``jti`` is spent, in one commit;
        ``JagRefused`` if it was spent already."""
        if not self.parts.grants.add_asserted(
            cmd.grant, cmd.vouched.jag.spent(self.parts.clock.now())
        ):
            raise JagRefused(REPLAYED)

    def _own(self, jag: IdJag, sign_in: OwnSignIn, now: datetime) -> VouchedPerson:
        """Firegate's own word: the person its ``sub`` is, while the grant of the sign-in it
        was minted from holds, as an access token of that sign-in would
        (``read_live_grant``), and is the client's."""
        holding = None
        if is_id(jag.subject) and is_id(sign_in.grant_id):  # each names a document
            holding = read_live_grant(
                sign_in.grant_id,
                jag.subject,
                grants=self.parts.grants,
                users=self.parts.users,
                holders=self.parts.holders,
                now=now,
            )
        if holding is None or holding.grant.client_id != jag.client_id:
            raise JagRefused(SIGN_IN_ENDED)
        return VouchedPerson(
            jag, holding.account, None, sign_in.amr, sign_in.auth_time, holding.grant
        )

    def _connections(self, issuer: object, client: OAuthClient) -> list[Connection]:
        """The active OpenID connections whose issuer this is, found with their org: an
        org's app's, of its own org only; anyone else's, of every org (which of them speaks
        for the person is ``_person``'s to find). Another org's connection to the same IdP
        never makes them fewer."""
        if not isinstance(issuer, str) or not issuer:
            raise JagRefused(UNKNOWN_ISSUER)
        found = [
            c
            for c in self.parts.connections.oidc_by_issuer(issuer)
            if c.active and (client.org_id is None or c.org_id == client.org_id)
        ]
        if not found:
            raise JagRefused(UNKNOWN_ISSUER)
        return sorted(found, key=lambda c: (c.org_id, c.id))

    def _keys_of(self, connection: Connection) -> list[dict[str, object]]:
        provider = upstream_of(connection)
        try:
            return self.parts.upstream.signing_keys(
                provider, client_secret(provider, self.parts.box)
            )
        except DomainError as exc:  # unreachable, or its secret cannot be opened
            raise JagRefused(KEYS_UNREADABLE) from exc

    def _person(self, jag: IdJag, connections: list[Connection]) -> tuple[Connection, User]:
        """The account a connection's sign-in linked the ``sub`` to, of a member of that
        connection's org, at a resource that allows that org: the connection the person
        signed in through speaks for them, never one nobody signed in through. Several that
        name different accounts: refused."""
        linked: list[tuple[Connection, User]] = []
        for connection in connections:
            user = self.parts.identities.find_by_identity(
                identity_provider(connection.id), jag.subject
            )
            if user is not None and not user.disabled:
                linked.append((connection, user))
        if not linked:
            raise JagRefused(NO_ACCOUNT)
        members = [
            (c, u) for c, u in linked if self.parts.orgs.member_org(c.org_id, u.id) is not None
        ]
        if not members:  # an org's IdP speaks for the org's members only
            raise JagRefused(NOT_A_MEMBER)
        catalogue = self.parts.catalogue.catalogue()
        allowed = [(c, u) for c, u in members if catalogue.for_org(jag.resource, c.org_id)]
        if not allowed:
            raise JagRefused(ANOTHER_ORGS_RESOURCE)
        if len({user.id for _, user in allowed}) > 1:
            raise JagRefused(TWO_ACCOUNTS)
        return allowed[0]

    def _check_resource(self, resource: str, client: OAuthClient) -> None:
        catalogue = self.parts.catalogue.catalogue()
        if catalogue.find(resource) is None or not client.allows_resource(resource):
            raise JagRefused(NOT_A_RESOURCE)
        if not catalogue.for_org(resource, client.org_id):
            raise JagRefused(NOT_A_RESOURCE)


@dataclass(frozen=True)
class MintIdJag:
    """An identity assertion JWT authorization grant (draft-ietf-oauth-identity-assertion-
    authz-grant) of the person ``subject`` for ``client_id``, to the authorization server
    ``audience`` of ``resource``, with ``scope``; ``org_id``: the org whose policy named the
    client. What the sign-in behind its ID token proved goes with it, as with every token
    of that sign-in: its methods and time (``amr``, ``acr``, ``auth_time``) and the admin of
    a session of support access (``act``), never outliving that session; ``grant_id`` (for
    firegate's own audience only) names the sign-in's grant, which its redemption reads
    again (docs/decisions/0620-an-id-jag-keeps-its-sign-in.md)."""

    client_id: str
    subject: str
    audience: str
    resource: str
    scope: tuple[str, ...]
    org_id: str
    amr: tuple[str, ...] = ()
    auth_time: int | None = None
    grant_id: str | None = None
    acting_admin_id: str | None = None
    acting_until: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class IdJagMint:
    """ID-JAGs minted by the token exchange: the provider's keys (None: it is off), the
    claim sources every minting iterates, its clock and policy (the issuer)."""

    keys: ProviderTokens | None
    claims: ClaimSources
    clock: Clock
    policy: OAuthPolicy

    def mint_id_jag(self, cmd: MintIdJag) -> Minted:
        """The ID-JAG, signed as ID tokens are (``typ`` ``oauth-id-jag+jwt``), for
        ``ID_JAG_LIFETIME`` from now, never past its session of support access
        (docs/decisions/0550-minting-id-jags.md)."""
        signer, now = signer_of(self.keys), now_of(self.clock)
        claims = id_jag_claims(
            issuer=self.policy.issuer,
            subject=cmd.subject,
            audience=cmd.audience,
            client_id=cmd.client_id,
            jti=secrets.token_urlsafe(16),
            now=now,
            resource=cmd.resource,
            scope=cmd.scope,
            org_id=cmd.org_id,
        )
        if cmd.auth_time is not None:
            claims["auth_time"] = cmd.auth_time
        if cmd.amr:
            claims["amr"] = list(cmd.amr)
        if cmd.grant_id is not None:
            claims[GRANT_CLAIM] = cmd.grant_id
        acting = cmd.acting_admin_id
        claims.update(
            self.claims.claims(Minting(kind="id_jag", amr=cmd.amr, acting_admin_id=acting))
        )
        within_support_access(claims, now, cmd.acting_admin_id, cmd.acting_until)
        return Minted(signer.sign_id_jag(claims), int(claims["exp"]) - now)


def redemptions(parts: ProviderParts, assertions: SignedAssertions) -> JagRedemptions:
    """ID-JAGs redeemed on the provider's internals; ``assertions``: what reads a JWT."""
    return JagRedemptions(parts=parts, assertions=assertions)


def mint(parts: ProviderParts) -> IdJagMint:
    """ID-JAGs minted with the provider's keys and claim sources."""
    return IdJagMint(keys=parts.keys, claims=parts.claims, clock=parts.clock, policy=parts.policy)
