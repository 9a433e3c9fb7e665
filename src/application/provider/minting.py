"""Every token the provider issues is built here: the access tokens of each grant (RFC 9068:
a code's, a refresh's, a client's own, a device's), the tokens of a token exchange (RFC 8693)
and ID tokens (OpenID Connect Core §2); a unit's own kind (the agents' ID-JAGs) is minted by
its use case with the provider's keys (``signer_of``) and the claim sources.
Their times are the ``Clock`` port's, their lifetimes and issuer the policy's, their
signatures the ``ProviderTokens`` port's; and each token answer is counted here, once
(``TOKENS_ISSUED``).

The Authlib glue only says what a token is for; the claims are made here
(docs/decisions/0345-one-place-mints-the-providers-tokens.md)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.accounts.profile_schema import ProfileSchemas
from application.metrics import TOKENS_ISSUED
from application.ports import Clock, Metrics
from application.provider.claims import claims_of, org_claims
from application.provider.ports import (
    NO_CREDENTIALS_HOOK,
    CredentialsHook,
    OAuthPolicy,
    ProviderTokens,
)
from application.provider.tokens import GRANT_CLAIM, id_token_jti
from application.signin.ports import NO_TOKEN_HOOK, TokenHook
from application.signin.tokens import hook_claims
from domain.accounts.users import User
from domain.hooks.credentials_exchange import CLIENT_CREDENTIALS, CredentialsRequest
from domain.provider.token_exchange import GRANT_TYPE as EXCHANGE_GRANT
from domain.provider.token_exchange import Delegation, actor, expiry
from domain.signin.active_org import ActiveOrg
from domain.signin.claims.sources import NO_SOURCES, ClaimSources, Minting

# The access token's private claim: the claims a ``claims`` request asked of userinfo
USERINFO_CLAIMS = "userinfo_claims"
# The access token's private claim: the names of the claims the before_token hook added,
# which userinfo answers with too (docs/decisions/0487-before-token-and-send-mail.md)
HOOK_CLAIMS = "hook_claims"
NO_KEYS = "The provider has no signing keys: it is off (OAUTH_PROVIDER)."
JTI_CHARACTERS = string.ascii_letters + string.digits
JTI_LENGTH = 16
# Scope ``organization``'s claims of an access token (``org_claims``), which an exchange
# keeps with the scope: the org the person acts in is the exchanged token's too
ORG_CLAIMS = ("org_id", "org_slug", "org_roles", "org_permissions")


@dataclass(frozen=True)
class Minted:
    token: str
    expires_in: int  # seconds: the answer's ``expires_in``


def signer_of(keys: ProviderTokens | None) -> ProviderTokens:
    """The provider's keys, or ``LookupError`` when it is off."""
    if keys is None:  # the provider is served only with its keys (bootstrap/driving.py)
        raise LookupError(NO_KEYS)
    return keys


def now_of(clock: Clock) -> int:
    """Now, in the seconds of a JWT's times."""
    return int(clock.now().timestamp())


def _lifetime(policy: OAuthPolicy) -> int:
    return int(policy.access_token_ttl.total_seconds())


# -- access tokens


@dataclass(frozen=True)
class MintAccessToken:
    """What a grant's access token is for: the client, the scope, and the person (none for
    a client's own token, whose ``sub`` is the client)."""

    client_id: str
    scope: str
    user_id: str | None = None
    grant_id: str | None = None  # the person's grant: the token is revoked with it
    resource: str | None = None  # RFC 8707: its ``aud``, else the client
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()
    jkt: str | None = None  # RFC 9449 §6.1: bound to this DPoP key (``cnf``)
    org: ActiveOrg | None = None  # scope ``organization``: the grant's org, as read now
    # A client's own token (no person): the org that owns the client, its ``org_id``
    client_org_id: str | None = None
    # The ``claims`` request's names for userinfo, which reads them from the token
    userinfo_claims: tuple[str, ...] = ()
    user: User | None = None  # the person, as read for the grant: the hook is told of them
    # Support access: the admin acting as the person (``act``), and the session's end, which
    # the token never outlives (docs/support-access.md)
    acting_admin_id: str | None = None
    acting_until: datetime | None = None


def new_jti() -> str:
    """An access token's ``jti``: 16 characters of ``JTI_CHARACTERS``, each equally likely,
    as 16 draws of ``secrets.choice`` would give, from one draw of the system's random source
    instead of sixteen (16 reads of it cost about 0.04 ms of every access token;
    docs/benchmarks.md, "Per core against oidc-provider")."""
    number, base = secrets.randbelow(len(JTI_CHARACTERS) ** JTI_LENGTH), len(JTI_CHARACTERS)
    characters = []
    for _ in range(JTI_LENGTH):
        number, index = divmod(number, base)
        characters.append(JTI_CHARACTERS[index])
    return "".join(characters)


@dataclass(frozen=True)
class MintExchangedToken:
    """RFC 8693: a person's access token (``subject``, its claims as verified) exchanged by
    ``client_id`` for ``target``, with ``scope`` no wider than the subject's."""

    client_id: str
    subject: Mapping[str, Any]
    target: str
    scope: tuple[str, ...]
    jkt: str | None = None  # RFC 9449: the exchanging client's DPoP key
    # Who acts (``act``, the agents' grants, ``may_act``); None: the exchanging client,
    # after whoever acted in the subject
    delegation: Delegation | None = None
    client_org_id: str | None = None  # the org that owns the exchanging client


# -- ID tokens


@dataclass(frozen=True)
class MintIdToken:
    """The person's ID token for the client, beside ``access_token`` (a code's or a device's
    answer)."""

    client_id: str
    user: User
    scope: str  # the answer's: which of the person's claims it carries
    access_token: str
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()
    nonce: str | None = None  # the authorization request's; the device flow has none
    org: ActiveOrg | None = None  # scope ``organization``: the grant's org, as read now
    sid: str | None = None  # the browser session's (OpenID Connect's ``sid``)
    claims: tuple[str, ...] = ()  # the ``claims`` request's names for the ID token
    acting_admin_id: str | None = None  # support access: as ``MintAccessToken``'s
    acting_until: datetime | None = None
    # The grant of the sign-in, which the ID token's ``jti`` names (``id_token_jti``): an
    # ID-JAG minted from the ID token holds only while it does
    grant_id: str | None = None


def within_support_access(
    claims: dict[str, Any], now: int, admin_id: str | None, until: datetime | None
) -> None:
    """A token of a grant of support access expires by the session's end
    (docs/decisions/0587-support-access-at-the-provider.md)."""
    if admin_id is not None and until is not None:
        claims["exp"] = max(now, min(int(claims["exp"]), int(until.timestamp())))


def _half_hash(text: str, alg: str) -> str:
    """The left half of the text's hash by the hash of ``alg`` (SHA-256 for ES256 and RS256),
    base64url without padding."""
    digest = hashlib.new(f"sha{alg[2:]}", text.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


# A logout token (OpenID Connect Back-Channel Logout 1.0 §2.4) is not issued yet: when it is,
# it is minted here, beside the ID token, from the same clock, issuer and keys.


# -- the count


@dataclass(frozen=True)
class TokenIssued:
    grant_type: str  # one the server accepted: a bounded label


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenMint:
    """Every token the provider issues, and the count of its token answers: ``keys`` sign
    (None: the provider is off, and minting is a ``LookupError``), ``policy`` gives the
    issuer and lifetimes, ``metrics`` counts, ``schemas`` says which profile attributes a
    scope releases as claims."""

    keys: ProviderTokens | None
    clock: Clock
    policy: OAuthPolicy
    metrics: Metrics
    schemas: ProfileSchemas
    # The claims the units put in tokens (signin's ``TokenPolicy.claims``), which introspection
    # and userinfo answer with too
    claims: ClaimSources = NO_SOURCES
    hook: TokenHook = NO_TOKEN_HOOK
    credentials_hook: CredentialsHook = NO_CREDENTIALS_HOOK

    def _machine_claims(
        self,
        claims: dict[str, Any],
        grant_type: str,
        client_org_id: str | None,
        subject: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A token with no person in it, with the ``credentials_exchange`` hooks' claims
        under ours, their names in ``hook_claims`` as a person's token keeps
        ``before_token``'s (introspection answers with them too;
        docs/decisions/0580-credentials-exchange.md). CredentialsRefused when a failed hook
        says to refuse."""
        if self.credentials_hook is NO_CREDENTIALS_HOOK:
            return claims
        org = claims.get("org_id")
        request = CredentialsRequest(
            client_id=str(claims["client_id"]),
            client_org_id=client_org_id,
            scope=str(claims.get("scope", "")),
            audience=str(claims["aud"]),
            grant_type=grant_type,
            subject=None
            if subject is None
            else {
                "sub": subject.get("sub"),
                "client_id": subject.get("client_id"),
                "act": subject.get("act"),
            },
            org=org if isinstance(org, str) else None,
        )
        added = self.credentials_hook.credentials_exchange(request)
        if not added:
            return claims
        kept = self.claims.kept(added)
        names = sorted(kept.keys() - claims.keys())
        return {**kept, **claims, HOOK_CLAIMS: names} if names else claims

    def mint_access_token(self, cmd: MintAccessToken) -> Minted:
        """RFC 9068 §2.2's claims, for ``OAUTH_ACCESS_TOKEN_TTL`` from now."""
        policy = self.policy
        signer, now, lifetime = signer_of(self.keys), now_of(self.clock), _lifetime(policy)
        claims: dict[str, Any] = {
            "iss": policy.issuer,
            "exp": now + lifetime,
            "client_id": cmd.client_id,
            "iat": now,
            "jti": new_jti(),
            "scope": cmd.scope,
            "sub": cmd.user_id if cmd.user_id is not None else cmd.client_id,
            "aud": cmd.resource or cmd.client_id,
        }
        if cmd.auth_time is not None:
            claims["auth_time"] = int(cmd.auth_time.timestamp())
        if cmd.amr:
            claims["amr"] = list(cmd.amr)
        if cmd.grant_id:
            claims[GRANT_CLAIM] = cmd.grant_id
        if cmd.jkt is not None:
            claims["cnf"] = {"jkt": cmd.jkt}
        if cmd.org is not None and "organization" in cmd.scope.split():
            claims.update(org_claims(cmd.org))
        if cmd.user_id is None and cmd.client_org_id is not None:
            claims["org_id"] = cmd.client_org_id  # an org's client acts in its org
        if cmd.userinfo_claims:
            claims[USERINFO_CLAIMS] = list(cmd.userinfo_claims)
        claims.update(
            self.claims.claims(
                Minting(
                    kind="provider_access",
                    user=cmd.user,
                    amr=cmd.amr,
                    acting_admin_id=cmd.acting_admin_id,
                )
            )
        )
        if cmd.user is not None:  # a person's token: the hook's claims, under ours
            added = hook_claims(
                self.hook,
                "provider_access",
                cmd.user,
                reserved=self.claims.reserved,
                client={"client_id": cmd.client_id},
                org=cmd.org,
            )
            if added:
                claims[HOOK_CLAIMS] = sorted(added.keys() - claims.keys() - {HOOK_CLAIMS})
                claims = {**added, **claims}
        elif cmd.user_id is None:  # a client's own token: the credentials_exchange hooks'
            claims = self._machine_claims(claims, CLIENT_CREDENTIALS, cmd.client_org_id)
        within_support_access(claims, now, cmd.acting_admin_id, cmd.acting_until)
        return Minted(signer.sign_access(claims), int(claims["exp"]) - now)

    def mint_exchanged_token(self, cmd: MintExchangedToken) -> Minted | None:
        """The exchanged access token, with ``act`` and the subject's grant (and its org,
        where scope ``organization`` is kept), never outliving the subject
        (docs/decisions/0320-an-exchanged-token-lives-within-its-subject.md); None when the
        subject has no time left."""
        signer, now, subject = signer_of(self.keys), now_of(self.clock), cmd.subject
        expires = expiry(now, _lifetime(self.policy), subject)
        if expires <= now:
            return None
        claims: dict[str, Any] = {
            "iss": self.policy.issuer,
            "exp": expires,
            "client_id": cmd.client_id,
            "iat": now,
            "jti": secrets.token_urlsafe(16),
            "scope": " ".join(cmd.scope),
            "sub": subject["sub"],
            "aud": cmd.target,
            GRANT_CLAIM: subject[GRANT_CLAIM],  # revoking the person's grant ends it too
        }
        delegation = cmd.delegation or Delegation(actor(cmd.client_id, subject.get("act")))
        claims.update(delegation.claims())  # an agent's grant ends it too
        if "auth_time" in subject:
            claims["auth_time"] = subject["auth_time"]
        # the person's sign-in, whoever exchanges it (its class: the subject's)
        claims.update(self.claims.claims(Minting(kind="provider_access", token=subject)))
        if "organization" in cmd.scope:  # the subject's org goes on with the scope
            claims.update({name: subject[name] for name in ORG_CLAIMS if name in subject})
        if cmd.jkt is not None:
            claims["cnf"] = {"jkt": cmd.jkt}
        claims = self._machine_claims(claims, EXCHANGE_GRANT, cmd.client_org_id, subject)
        return Minted(signer.sign_access(claims), expires - now)

    def mint_id_token(self, cmd: MintIdToken) -> str:
        """OpenID Connect Core §2's claims (one audience: a string, which RP-initiated logout
        finds), ``at_hash`` (§3.1.3.6) and the claims the scope allows (the profile
        attributes it releases among them), for
        ``OAUTH_ACCESS_TOKEN_TTL`` from now."""
        signer, now = signer_of(self.keys), now_of(self.clock)
        claims: dict[str, Any] = {
            "iss": self.policy.issuer,
            "aud": cmd.client_id,
            "iat": now,
            "exp": now + _lifetime(self.policy),
        }
        if cmd.auth_time is not None:
            claims["auth_time"] = int(cmd.auth_time.timestamp())
        if cmd.nonce:
            claims["nonce"] = cmd.nonce
        if cmd.amr:
            claims["amr"] = list(cmd.amr)
        if cmd.sid is not None:
            claims["sid"] = cmd.sid
        if cmd.grant_id is not None:
            claims["jti"] = id_token_jti(cmd.grant_id, new_jti())
        claims["at_hash"] = _half_hash(cmd.access_token, signer.id_token_alg)
        released = self.schemas.released(cmd.user, cmd.scope)
        claims.update(claims_of(cmd.user, cmd.scope, cmd.org, cmd.claims, released))
        claims.update(
            self.claims.claims(
                Minting(
                    kind="id_token",
                    user=cmd.user,
                    amr=cmd.amr,
                    acting_admin_id=cmd.acting_admin_id,
                    scopes=tuple(cmd.scope.split()),
                    asked=cmd.claims,
                )
            )
        )
        within_support_access(claims, now, cmd.acting_admin_id, cmd.acting_until)
        added = hook_claims(
            self.hook,
            "id_token",
            cmd.user,
            reserved=self.claims.reserved,
            client={"client_id": cmd.client_id},
            org=cmd.org,
        )
        return signer.sign_id_token({**added, **claims} if added else claims)

    def count_issued(self, cmd: TokenIssued) -> None:
        """A token answer went out: counted once, by its grant type, whatever tokens it
        holds."""
        self.metrics.add(TOKENS_ISSUED, grant=cmd.grant_type)
