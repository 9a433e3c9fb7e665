"""The provider's clients (docs/reference/oauth.md): the apps that may ask for tokens, their
redirect URIs, scopes and grants, and the digests their secrets are kept as. The protocol
itself (parameters, errors, token formats) is Authlib's, in interfaces/provider."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from domain.clients.app_ids import AndroidApp, check_android_apps, check_ios_apps
from domain.clients.client_keys import PRIVATE_KEY_JWT, check_jwks, check_jwks_uri
from domain.clients.redirect_uris import (
    MAX_URI_CHARS,
    check_backchannel_logout_uri,
    check_redirect_uri,
    disguised,
    redirect_uri_allowed,
)
from domain.dns_names import a_label
from domain.errors import InvalidInput
from domain.signin.active_org import ActiveOrg

SCOPES = ("openid", "profile", "email", "offline_access", "roles", "organization", "phone")
# About a person signed in (an ID token; a refresh token for when they are away; the org they
# act in): never in a client's own token (docs/decisions/0225-a-clients-own-tokens.md).
PERSON_SCOPES = ("openid", "offline_access", "organization")
MAX_REDIRECT_URIS = 10
MAX_NAME_CHARS = 100
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"  # RFC 8628 §3.4
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # RFC 8693 §2.1
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 §2.1: an ID-JAG
# The grants a client uses only once allowed them (``clients create --grant NAME``), by the
# short names the command line takes (docs/reference/oauth.md, "Client grants").
OPT_IN_GRANTS = {
    "device_code": DEVICE_CODE,
    "token_exchange": TOKEN_EXCHANGE,
    "jwt_bearer": JWT_BEARER,
}
# Those that authenticate the client and so are for confidential clients only
CONFIDENTIAL_GRANTS = {TOKEN_EXCHANGE: "Token exchange", JWT_BEARER: "The JWT bearer grant"}


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy random value (a client secret, a code, a refresh token):
    enough, as none can be guessed (docs/decisions/0181-oauth-secrets-sha256.md)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, hashed: str) -> bool:
    return hmac.compare_digest(digest(secret), hashed)


MAX_RESOURCES = 10


def check_resource(uri: str, field: str = "resource") -> str:
    """RFC 8707 §2: a resource is an absolute URI without a fragment."""
    if (
        not uri
        or len(uri) > MAX_URI_CHARS
        or "://" not in uri
        or "#" in uri
        or any(ch.isspace() for ch in uri)
        or disguised(uri)
    ):
        raise InvalidInput.field(
            field, "A resource is an absolute URI without a fragment.", "invalid_resource"
        )
    return uri


def unusable_resource(resource: str, forbidden: tuple[str, ...]) -> bool:
    """RFC 8707 §2: a resource is an absolute URI without a fragment; and never one of
    ``forbidden`` (firegate's own API, whose tokens are the API's)."""
    return "#" in resource or "://" not in resource or resource in forbidden


def _https_host(uri: str) -> str:
    """An ``https`` URI's host as policies list it (lower case, A-labels); "" for any other
    URI."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname if parts.scheme == "https" else None
    except ValueError:
        return ""
    return (a_label(host) or "") if host else ""


def may_introspect(client: OAuthClient, *, issued_to: object, kind: str, audience: object) -> bool:
    """Who learns about a token (RFC 7662 §4; otherwise ``{"active": false}``): the client it
    was issued to, any of its tokens; and an access token for a resource (RFC 8707
    ``resource``, its ``aud`` not the client) any confidential client, as resource servers
    register (docs/decisions/0210-who-may-introspect-a-token.md); never one a metadata document
    describes, which anyone may publish."""
    if issued_to == client.client_id:
        return True
    if kind != "access_token" or not client.confidential or client.metadata_document:
        return False
    return audience not in (None, issued_to)


def check_grants(grants: tuple[str, ...], *, confidential: bool) -> tuple[str, ...]:
    """The opt-in grants of a client, by their short names or their URIs: token exchange and
    the JWT bearer grant are for confidential clients only (RFC 8693 §2.1 authenticates the
    exchanging client; an ID-JAG names the client that redeems it,
    docs/decisions/0552-redeeming-an-id-jag.md)."""
    known = {**OPT_IN_GRANTS, **{uri: uri for uri in OPT_IN_GRANTS.values()}}
    unknown = [grant for grant in grants if grant not in known]
    if unknown:
        choices = ", ".join(OPT_IN_GRANTS)
        raise InvalidInput.field(
            "grant", f"Unknown grant: {unknown[0]} (one of {choices}).", "invalid_grant_type"
        )
    found = tuple(dict.fromkeys(known[grant] for grant in grants))
    for uri, name in CONFIDENTIAL_GRANTS.items():
        if uri in found and not confidential:
            raise InvalidInput.field(
                "grant", f"{name} is for confidential clients only.", "invalid_grant_type"
            )
    return found


def check_scopes(scopes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise InvalidInput.field("scope", f"Unknown scope: {unknown[0]}.", "invalid_scope")
    return tuple(dict.fromkeys(scopes))


def scope_list(scope: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys((scope or "").split()))


def check_client_name(name: str) -> str:
    """A client's name: 1 to 100 characters once trimmed, none a control or direction
    character (the consent page shows it)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidInput.field("name", "A name of 1 to 100 characters.", "invalid_name")
    if disguised(name):
        raise InvalidInput.field(
            "name",
            "A name has no control or direction characters (such as U+202E).",
            "invalid_name",
        )
    return name


def check_redirect_uris(redirect_uris: tuple[str, ...]) -> tuple[str, ...]:
    """1 to ``MAX_REDIRECT_URIS`` redirect URIs, each one a client may register."""
    if not redirect_uris or len(redirect_uris) > MAX_REDIRECT_URIS:
        raise InvalidInput.field("redirect_uri", "1 to 10 redirect URIs.", "invalid_redirect_uri")
    return tuple(dict.fromkeys(check_redirect_uri(uri) for uri in redirect_uris))


@dataclass(frozen=True)
class OAuthClient:
    """An app that signs its users in with firegate. A confidential client holds a secret
    (only its hash is stored); a public one (a browser or native app) holds none and proves
    itself with PKCE alone."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    confidential: bool
    secret_hash: str | None
    scopes: tuple[str, ...]
    created_at: datetime
    post_logout_redirect_uris: tuple[str, ...] = ()
    dynamic: bool = False  # registered through /oauth/register
    # The RFC 8707 resources its tokens may be for; none: any the person consents to
    # (docs/decisions/0226-a-token-is-for-the-resource-authorized.md).
    resources: tuple[str, ...] = ()
    # The grants it may use beyond the default ones (``OPT_IN_GRANTS``' values).
    grants: tuple[str, ...] = ()
    # RFC 9449 §5.2: its tokens are always DPoP-bound; a token request without a proof is
    # refused (docs/reference/oauth.md, "DPoP").
    dpop_bound_access_tokens: bool = False
    # The org that owns it (docs/reference/orgs.md, "Apps and tokens of an org"): its own
    # tokens act in that org (``org_id``), and it ends with the org; None: the service's.
    org_id: str | None = None
    # PKCE (S256) on each authorization request: always for a public client; a confidential
    # one registered ``--pkce optional`` may go without, as RFC 9700 §2.1.1 allows one that
    # uses ``nonce`` (docs/decisions/0407-pkce-optional-for-confidential-clients.md).
    pkce_required: bool = True
    # The API resources' scopes it may ask for, at their resources (``clients create
    # --resource-scope``; docs/decisions/0424-api-resources-and-their-scopes.md).
    resource_scopes: tuple[str, ...] = ()
    # RFC 9126 §6: its authorization requests come only through /oauth/par
    # (``require_pushed_authorization_requests``); one sent in the browser's URL is refused.
    par_required: bool = False
    # An agent (``clients create --agent``): its access tokens are the ``actor_token`` of a
    # delegation, named in the ``act`` chain of the tokens made for the person it acts for
    # (docs/decisions/0551-what-makes-a-client-an-agent.md).
    agent: bool = False
    # ``private_key_jwt`` (RFC 7523): a confidential client without a secret, whose signed
    # assertions are checked with these public keys (a JWK Set's JSON), or those at jwks_uri.
    jwks: str | None = None
    jwks_uri: str | None = None
    # OpenID Connect Back-Channel Logout 1.0: where a logout token is posted when a session
    # it holds a grant of ends, and whether each must name the session (``sid``)
    # (docs/reference/oauth.md, "Back-channel logout").
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = False
    # Made by the operator (the command line, /admin), not by an org's admins: an org's
    # client uses the opt-in grants only then
    # (docs/decisions/0452-an-orgs-app-gets-what-the-operator-allows.md).
    operator_made: bool = False
    # An org's app open to the org's members only: tokens for a person only while they are a
    # member (``admits``; docs/decisions/0467-an-orgs-app-is-for-its-members.md). Never the
    # service's own client.
    members_only: bool = False
    # Described by the metadata document its ``client_id`` is the URL of, fetched when it is
    # asked for and never stored (the agents unit's metadata documents): the code and refresh
    # grants only, and introspection of its own tokens only.
    metadata_document: bool = False
    # Its native apps (``clients create --ios-app``, ``--android-app``; docs/native-apps.md):
    # the association files firegate serves name them, and their passkeys count
    # (docs/decisions/0920-an-apps-native-apps-are-the-clients.md).
    ios_apps: tuple[str, ...] = ()
    android_apps: tuple[AndroidApp, ...] = ()

    @staticmethod
    def new(
        *,
        client_id: str,
        name: str,
        redirect_uris: tuple[str, ...],
        secret: str | None,
        scopes: tuple[str, ...],
        now: datetime,
        post_logout_redirect_uris: tuple[str, ...] = (),
        dynamic: bool = False,
        resources: tuple[str, ...] = (),
        grants: tuple[str, ...] = (),
        dpop_bound_access_tokens: bool = False,
        org_id: str | None = None,
        pkce_required: bool = True,
        resource_scopes: tuple[str, ...] = (),
        par_required: bool = False,
        agent: bool = False,
        jwks: object = None,
        jwks_uri: str | None = None,
        backchannel_logout_uri: str | None = None,
        backchannel_logout_session_required: bool = False,
        operator_made: bool = False,
        members_only: bool = False,
        ios_apps: tuple[str, ...] = (),
        android_apps: tuple[AndroidApp | str, ...] = (),
    ) -> OAuthClient:
        name = check_client_name(name)
        uris = check_redirect_uris(redirect_uris)
        logout = tuple(
            dict.fromkeys(
                check_redirect_uri(uri, "post_logout_redirect_uri")
                for uri in post_logout_redirect_uris
            )
        )
        if len(resources) > MAX_RESOURCES:
            raise InvalidInput.field("resource", "At most 10 resources.", "invalid_resource")
        limited = tuple(dict.fromkeys(check_resource(uri) for uri in resources))
        if jwks is not None and jwks_uri is not None:
            raise InvalidInput.field(
                "jwks", "Either jwks or jwks_uri, not both.", "invalid_client_keys"
            )
        keys = check_jwks(jwks) if jwks is not None else None
        keys_uri = check_jwks_uri(jwks_uri) if jwks_uri is not None else None
        if secret is not None and (keys or keys_uri):
            raise InvalidInput.field(
                "jwks", "A client authenticates with a secret or with keys.", "invalid_client_keys"
            )
        confidential = secret is not None or bool(keys or keys_uri)
        allowed = check_grants(grants, confidential=confidential)
        if not pkce_required and not confidential:
            raise InvalidInput.field(
                "pkce",
                "PKCE is required of a public client: only a confidential one may go without.",
                "invalid_pkce_policy",
            )
        return OAuthClient(
            client_id=client_id,
            name=name,
            redirect_uris=uris,
            confidential=confidential,
            secret_hash=digest(secret) if secret is not None else None,
            scopes=check_scopes(scopes or SCOPES),
            created_at=now,
            post_logout_redirect_uris=logout,
            dynamic=dynamic,
            resources=limited,
            grants=allowed,
            dpop_bound_access_tokens=dpop_bound_access_tokens,
            org_id=org_id,
            pkce_required=pkce_required,
            resource_scopes=resource_scopes,
            par_required=par_required,
            agent=agent,
            jwks=keys,
            jwks_uri=keys_uri,
            backchannel_logout_uri=(
                check_backchannel_logout_uri(backchannel_logout_uri)
                if backchannel_logout_uri
                else None
            ),
            backchannel_logout_session_required=backchannel_logout_session_required,
            operator_made=operator_made,
            members_only=members_only and org_id is not None,
            ios_apps=check_ios_apps(ios_apps),
            android_apps=check_android_apps(android_apps),
        )

    @property
    def has_native_apps(self) -> bool:
        """Whether it names an iOS or an Android app."""
        return bool(self.ios_apps or self.android_apps)

    def edited(
        self,
        *,
        name: str | None = None,
        redirect_uris: tuple[str, ...] | None = None,
        members_only: bool | None = None,
    ) -> OAuthClient:
        """An org's admins' edit of its app: its name, its redirect URIs (the rules of
        ``new``) and whether it is for the org's members only; what is not given is kept."""
        return replace(
            self,
            name=self.name if name is None else check_client_name(name),
            redirect_uris=(
                self.redirect_uris if redirect_uris is None else check_redirect_uris(redirect_uris)
            ),
            members_only=(
                self.members_only
                if members_only is None
                else members_only and self.org_id is not None
            ),
        )

    def admits(self, member: ActiveOrg | None, granted_at: datetime | None = None) -> bool:
        """Whether a token for a person may be made for this client, given the person's
        membership of the client's org as stored now (None: none): always, unless the client
        is for its org's members only; then only for a member, and for a grant made at
        ``granted_at`` (a refresh) only in the membership it was made in, as an org-scoped
        personal token (docs/decisions/0467-an-orgs-app-is-for-its-members.md)."""
        if self.org_id is None or not self.members_only:
            return True
        if member is None or member.id != self.org_id:
            return False
        return granted_at is None or member.admits(self.org_id, granted_at)

    def vouched_host(self) -> str | None:
        """The host a client known by its URL was fetched from (a metadata document's, the
        agents unit's), the one thing about it this site checked: what the pages name it
        by; None for any other client."""
        return (urlsplit(self.client_id).hostname or "").lower() if self.metadata_document else None

    def hosts(self) -> tuple[str, ...]:
        """The hosts an org's agent policy knows this app by (docs/decisions/
        0549-an-apps-hosts.md): a client ID metadata document's, its URL's host; a
        registered client's, the host of each of its redirect URIs, where its codes go. A
        URI that is not ``https`` (a loopback or a private scheme, which any local app may
        claim) counts as a host no policy lists (``""``)."""
        if self.client_id.startswith("https://"):
            return (_https_host(self.client_id),)
        return tuple(dict.fromkeys(_https_host(uri) for uri in self.redirect_uris))

    def acts_in(self, org: ActiveOrg) -> bool:
        """Whether the org's agent policy lets this app act for a member acting in it: the
        org's own apps always (``AgentPolicy.allows``)."""
        return org.agents.allows(self.hosts(), own=self.org_id == org.id)

    @property
    def signs_assertions(self) -> bool:
        """Whether it authenticates with ``private_key_jwt`` rather than a secret."""
        return self.jwks is not None or self.jwks_uri is not None

    @property
    def auth_method(self) -> str:
        """How it authenticates (RFC 7591's ``token_endpoint_auth_method``)."""
        if self.signs_assertions:
            return PRIVATE_KEY_JWT
        return "client_secret_basic" if self.confidential else "none"

    def binds_refresh_tokens(self) -> bool:
        """RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key; a
        confidential client's are bound to its credentials already, and are not."""
        return not self.confidential

    def allows_resource(self, resource: str) -> bool:
        """Whether a token may be for this resource: any, unless the client is limited."""
        return not self.resources or resource in self.resources

    def allows_redirect(self, uri: str) -> bool:
        return redirect_uri_allowed(self.redirect_uris, uri)

    def allows_logout_redirect(self, uri: str) -> bool:
        return uri in self.post_logout_redirect_uris or uri in self.redirect_uris

    def secret_matches(self, secret: str) -> bool:
        return self.secret_hash is not None and same_digest(secret, self.secret_hash)

    def allowed_scope(self, requested: tuple[str, ...]) -> tuple[str, ...]:
        """The requested scopes this client may have (all of its own when none is asked)."""
        if not requested:
            return self.scopes
        mine = (*self.scopes, *self.resource_scopes)
        return tuple(scope for scope in requested if scope in mine)

    def own_scope(self, requested: tuple[str, ...]) -> tuple[str, ...]:
        """The scopes of the client's own token (``client_credentials``), about no person:
        the requested ones it may have, or all of its own, but never ``openid`` or
        ``offline_access``."""
        about_a_person = [scope for scope in requested if scope in PERSON_SCOPES]
        if about_a_person:
            raise InvalidInput.field(
                "scope",
                f"'{about_a_person[0]}' is about a person: a client's own token cannot have it.",
                "invalid_scope",
            )
        found = tuple(s for s in self.allowed_scope(requested) if s not in PERSON_SCOPES)
        if not found:
            raise InvalidInput.field(
                "scope",
                "None of the scopes asked for is one this client may have.",
                "invalid_scope",
            )
        return found

    def grant_types(self) -> tuple[str, ...]:
        """The grants it may use: an org's client the opt-in ones only where the operator
        made it (one its admins made earlier with them keeps none); a metadata document's
        client the code and refresh grants only, whatever its document says
        (docs/decisions/0546-what-a-client-metadata-document-may-ask-for.md)."""
        kinds = ("authorization_code", "refresh_token")
        if self.metadata_document:
            return kinds
        own = (*kinds, "client_credentials") if self.confidential else kinds
        opt_in = self.grants if self.org_id is None or self.operator_made else ()
        return (*own, *opt_in)

    def allows_grant(self, grant_type: str) -> bool:
        return grant_type in self.grant_types()
