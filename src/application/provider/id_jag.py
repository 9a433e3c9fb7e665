"""Redeeming an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant) at the token
endpoint's JWT bearer grant (RFC 7523 §2.1): whose word it is (firegate's own keys, or an
org's OpenID connection's issuer, with the keys that connection's sign-in reads), which
account it names (the one that connection links the ``sub`` to, as its sign-in finds it), for
which resource, and its ``jti`` spent once, with the grant it gives created in the same commit
(docs/agents-and-clis.md, "An enterprise's IdP: ID-JAG";
docs/decisions/0552-redeeming-an-id-jag.md).

The claims' own rules are domain/provider/id_jag.py's; every refusal is ``JagRefused``,
which the grant answers as ``invalid_grant``."""

from __future__ import annotations

from dataclasses import dataclass

from application.accounts.accounts import UserRepository
from application.accounts.ways_in import IdentityRepository
from application.clients.api_resources import CatalogueCache
from application.federation.upstream import UpstreamClient, client_secret
from application.ports import ActiveOrgs, Clock, SecretBox
from application.provider.ports import OAuthGrants, OAuthPolicy, ProviderTokens, SignedAssertions
from application.sso.arrival import identity_provider
from application.sso.ports import Connections
from application.sso.signin.oidc import upstream_of
from domain.accounts.users import User
from domain.clients.oauth import OAuthClient
from domain.errors import DomainError
from domain.ids import new_id
from domain.provider.grants import Grant
from domain.provider.id_jag import JAG_ALGORITHMS, IdJag, JagRefused, check_claims, check_header
from domain.sso.connections import Connection

NOT_A_JWT = "The assertion is not a signed JWT."
UNKNOWN_ISSUER = (
    "The ID-JAG's issuer is not trusted here: firegate itself, or an organization's active "
    "OpenID connection."
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
REPLAYED = "The ID-JAG was already redeemed: each is redeemed once."


@dataclass(frozen=True)
class RedeemJag:
    assertion: str
    client: OAuthClient  # the client that authenticated: the ID-JAG's ``client_id``


@dataclass(frozen=True)
class VouchedPerson:
    """An ID-JAG that passed, the account it names, and the org whose IdP vouched (None:
    firegate's own word)."""

    jag: IdJag
    user: User
    org_id: str | None = None


@dataclass(frozen=True)
class SpendJag:
    vouched: VouchedPerson
    client_id: str
    scope: tuple[str, ...]  # what the token carries: the ID-JAG's, within the client's


@dataclass(frozen=True, kw_only=True, slots=True)
class JagRedemptions:
    """ID-JAGs redeemed: ``keys`` are firegate's own (None: the provider is off),
    ``assertions`` read a JWT and check its signature, ``connections`` and ``upstream``
    (with ``box`` opening a connection's client secret) find an org's issuer and its keys,
    ``identities`` the account a connection links a ``sub`` to, ``orgs`` whether it is a
    member of the connection's org, ``catalogue`` the API resources, ``grants`` keep the
    spent ``jti`` with the grant given."""

    keys: ProviderTokens | None
    assertions: SignedAssertions
    connections: Connections
    upstream: UpstreamClient
    box: SecretBox
    identities: IdentityRepository
    orgs: ActiveOrgs
    users: UserRepository
    grants: OAuthGrants
    catalogue: CatalogueCache
    clock: Clock
    policy: OAuthPolicy

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
        connection = None
        if issuer == self.policy.issuer and self.keys is not None:
            keys = self.keys.public_jwks()
        else:
            connection = self._connection(issuer)
            keys = self._keys_of(connection)
        claims = self.assertions.verified(cmd.assertion, keys, JAG_ALGORITHMS)
        if claims is None or claims.get("iss") != issuer:
            raise JagRefused(BAD_SIGNATURE)
        jag = check_claims(
            claims, audience=self.policy.issuer, client_id=cmd.client.client_id,
            now=self.clock.now(),
        )  # fmt: skip
        user = self._person(jag, connection)
        org_id = connection.org_id if connection is not None else None
        self._check_resource(jag.resource, cmd.client, org_id)
        return VouchedPerson(jag, user, org_id)

    def spend(self, cmd: SpendJag) -> str:
        """The grant the ID-JAG gives (issued, no refresh token), created as its ``jti`` is
        spent, in one commit; ``JagRefused`` if it was spent already."""
        vouched, now = cmd.vouched, self.clock.now()
        grant = Grant(
            id=new_id(),
            user_id=vouched.user.id,
            client_id=cmd.client_id,
            scope=" ".join(cmd.scope),
            created_at=now,
            token_version=vouched.user.token_version,
            issued=True,
            resource=vouched.jag.resource,
        )
        if not self.grants.add_asserted(grant, vouched.jag.spent(now)):
            raise JagRefused(REPLAYED)
        return grant.id

    def _connection(self, issuer: object) -> Connection:
        """The active OpenID connection whose issuer this is (one, of any org)."""
        if not isinstance(issuer, str) or not issuer:
            raise JagRefused(UNKNOWN_ISSUER)
        found = [c for c in self.connections.oidc_by_issuer(issuer) if c.active]
        if len(found) != 1:  # none, or several orgs' with one issuer: whose word is unclear
            raise JagRefused(UNKNOWN_ISSUER)
        return found[0]

    def _keys_of(self, connection: Connection) -> list[dict[str, object]]:
        provider = upstream_of(connection)
        try:
            return self.upstream.signing_keys(provider, client_secret(provider, self.box))
        except DomainError as exc:  # unreachable, or its secret cannot be opened
            raise JagRefused(KEYS_UNREADABLE) from exc

    def _person(self, jag: IdJag, connection: Connection | None) -> User:
        if connection is None:  # firegate's own word: its sub is the account's id
            user = self.users.get(jag.subject) if len(jag.subject) <= 200 else None
        else:  # the account this connection's sign-in links the sub to
            user = self.identities.find_by_identity(identity_provider(connection.id), jag.subject)
        if user is None or user.disabled:
            raise JagRefused(NO_ACCOUNT)
        if connection is not None and self.orgs.member_org(connection.org_id, user.id) is None:
            raise JagRefused(NOT_A_MEMBER)  # an org's IdP speaks for the org's members only
        return user

    def _check_resource(self, resource: str, client: OAuthClient, org_id: str | None) -> None:
        catalogue = self.catalogue.catalogue()
        if catalogue.find(resource) is None or not client.allows_resource(resource):
            raise JagRefused(NOT_A_RESOURCE)
        if not catalogue.for_org(resource, client.org_id):
            raise JagRefused(NOT_A_RESOURCE)
        if not catalogue.for_org(resource, org_id):
            raise JagRefused(ANOTHER_ORGS_RESOURCE)
