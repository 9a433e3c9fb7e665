"""The models Authlib asks about: a client, the user a token is about, a code, a refresh
token, an access token (docs/reference/oauth.md)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oidc.core import UserInfo
from authlib.oidc.core.models import AuthorizationCodeMixin

from application.clients.clients import FindClient
from application.provider.claims import Admission, FindAccount, MemberOrg, Refusal, claims_of
from application.provider.grants import PresentedCode
from application.provider.minting import HOOK_CLAIMS, USERINFO_CLAIMS
from application.provider.ports import GrantRead
from application.provider.tokens import InspectToken, TokenState
from domain.accounts.users import User
from domain.clients.client_keys import PRIVATE_KEY_JWT
from domain.clients.oauth import OAuthClient, scope_list
from domain.provider.dpop import Proof
from domain.provider.grants import AuthorizationCode, Grant
from domain.signin.active_org import ActiveOrg
from domain.signin.claims.sources import Minting
from domain.signin.sessions import Session
from interfaces.provider.server.models.config import PUBLIC_AUTH, SECRET_AUTH
from interfaces.shared.services import services


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, client: OAuthClient) -> None:
        self.client = client
        self.client_id = client.client_id
        # The resource of the client's own token (client_credentials), checked by its grant:
        # one Client is made for each request that names the client.
        self.resource: str | None = None
        # The DPoP proof of its token request (RFC 9449 §5), which binds the tokens it gets.
        self.dpop: Proof | None = None

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.client.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.client.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(self.client.allowed_scope(scope_list(scope)))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if self.client.allows_redirect(redirect_uri):
            return True
        if invalid_error_characters(redirect_uri):
            # Authlib quotes the refused URI in its error's description, which may hold only
            # printable ASCII but '"' and '\\': say it without the URI instead of failing.
            raise InvalidRequestError("The redirect_uri is not one this client registered.")
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client.secret_matches(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.client.signs_assertions:  # its keys, never a secret it does not have
            return method == PRIVATE_KEY_JWT
        return method in (SECRET_AUTH if self.client.confidential else PUBLIC_AUTH)

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.client.grant_types()


@dataclass
class Subject:
    """The user a token is about, as Authlib's grants carry it."""

    user: User
    grant_id: str | None = None
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()
    resource: str | None = None
    # Scope ``organization``: the person's membership of the org picked, as read for this
    # request (None: none picked, or no more a member)
    org: ActiveOrg | None = None
    sid: str | None = None  # the browser session's ``sid``, at the authorization endpoint
    userinfo_claims: tuple[str, ...] = ()  # a ``claims`` request's for userinfo
    # The claims the before_token hook added to the access token userinfo is called with
    hook_claims: Mapping[str, object] = field(default_factory=dict)
    # The claims of the access token userinfo is called with (the claim sources read its
    # ``acr``, where its ``claims`` request asked it of userinfo)
    token: Mapping[str, Any] = field(default_factory=dict)
    # Support access: the admin acting as the person (the browser session's, the code's, the
    # grant's), and the end of that session, which its tokens never outlive
    acting_admin_id: str | None = None
    acting_until: datetime | None = None
    # The browser's session at the authorization endpoint: the org it picks is one it may act
    # in (support access's, docs/support-access.md)
    session: Session | None = None

    def get_user_id(self) -> str:
        return self.user.id


def user_info(user: Subject | None, scope: str) -> UserInfo:
    """The claims the scopes allow, of the person a token is about (userinfo), the profile
    attributes they release among them."""
    if user is None:  # an app's own token (client_credentials) is about no person
        raise InvalidTokenError(description="This token is not about a user.")
    released = services().accounts.profile_schemas.released(user.user, scope)
    claims = claims_of(user.user, scope, user.org, user.userinfo_claims, released)
    minting = Minting(
        kind="userinfo",
        user=user.user,
        token=user.token,
        scopes=tuple(scope.split()),
        asked=user.userinfo_claims,
    )
    claims.update(services().provider.minting.claims.claims(minting))
    return UserInfo({**user.hook_claims, **claims})


def org_of(user_id: str, org_id: object) -> ActiveOrg | None:
    """The org that ``org_id`` names (an id or a slug: what a code, a grant or an ID token
    carries as ``org_id``, the org the person picked for scope ``organization``) as the
    person's active org: the live org with their membership as stored now (roles,
    permissions, version), read at each call so a removal or a role change counts from the
    next token. None when ``org_id`` names no org (it is absent), the org is deleted, or the
    person is not its member."""
    if not isinstance(org_id, str):
        return None
    return services().provider.accounts.member_org(MemberOrg(user_id, org_id))


NOT_A_MEMBER = (
    "The person is not a member of the organization whose app this is: it is for its members only."
)
AGENT_NOT_ALLOWED = (
    "The organization the grant acts in does not allow this app to act for its members "
    "(its agent policy)."
)
REFUSALS = {Refusal.MEMBERS_ONLY: NOT_A_MEMBER, Refusal.AGENT_NOT_ALLOWED: AGENT_NOT_ALLOWED}


def not_admitted(
    client: Client,
    subject: Subject,
    granted_at: datetime | None = None,
    org_id: object = None,
) -> str | None:
    """Why the client may not have tokens for the subject, said as ``invalid_grant``'s
    description; None if it may: an org's app for its members only, while they are a member
    (for a refreshed grant, the membership it was made in), and the org the grant acts in
    (``org_id``: the code's, the grant's) allowing the app while they are its member. The
    subject's org, if read for this request, is not read again."""
    user_id, org = subject.user.id, subject.org
    acting = org_id if isinstance(org_id, str) else None
    found = services().provider.accounts.refusal(
        Admission(client.client, user_id, granted_at, org, acting)
    )
    return REFUSALS[found] if found is not None else None


class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    """A code found unspent (``present_code``), with the text the client sent; ``settled``
    once spent or burnt, so that it is stored once."""

    def __init__(self, presented: PresentedCode, code_text: str) -> None:
        self.presented, self.code_text = presented, code_text
        self.code: AuthorizationCode = presented.code
        self.settled = False

    def get_redirect_uri(self) -> str:
        return self.code.redirect_uri

    def get_scope(self) -> str:
        return self.code.scope


class RefreshToken(TokenMixin):  # type: ignore[misc]
    def __init__(
        self, grant: Grant, token: str, account: User | None = None, read: GrantRead | None = None
    ) -> None:
        self.grant, self.token = grant, token
        self.account = account  # read with the grant
        self.read = read  # the grant with its version: rotated from it (``save_token``)

    def check_client(self, client: Client) -> bool:
        return client.get_client_id() == self.grant.client_id

    def get_scope(self) -> str:
        return self.grant.scope

    def get_expires_in(self) -> int:
        return 0

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.grant.revoked


class AccessToken(TokenMixin):  # type: ignore[misc]
    """A verified access token (a JWT of ours), or a refresh token found by its grant."""

    def __init__(self, state: TokenState) -> None:
        self.claims, self.live, self.kind = state.claims, state.live, state.kind
        self.account = state.account  # read with the grant by the liveness check, if it was

    @staticmethod
    def of(token: str) -> AccessToken | None:
        """What the token is (``token_state``), or None if it is no token of ours."""
        state = services().provider.introspection.token_state(InspectToken(token))
        return AccessToken(state) if state is not None else None

    def check_client(self, client: Client) -> bool:
        return self.claims.get("client_id") == client.get_client_id()

    @property
    def scope(self) -> str:
        return str(self.claims.get("scope", ""))

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.claims.get("exp", 0)) - int(self.claims.get("iat", 0))

    def is_expired(self) -> bool:
        # Verifying, on the wall clock that verified its signature and times (PyJWT,
        # infrastructure/signin/jwt_tokens.py): a token kept as verified expires here at that
        # instant.
        exp = self.claims.get("exp")
        return exp is not None and int(exp) <= time.time()

    def is_revoked(self) -> bool:
        return not self.live

    def get_user(self) -> Subject | None:
        user = self.account or services().provider.accounts.account(
            FindAccount(str(self.claims.get("sub", "")))
        )
        if user is None:
            return None
        asked = self.claims.get(USERINFO_CLAIMS)
        named = tuple(str(name) for name in asked) if isinstance(asked, list) else ()
        return Subject(
            user,
            org=org_of(user.id, self.claims.get("org_id")),
            userinfo_claims=named,
            hook_claims=self._hook_claims(),
            token=self.claims,
        )

    def _hook_claims(self) -> dict[str, object]:
        """The claims the hook added to this token, which userinfo answers with too
        (docs/decisions/0487-before-token-and-send-mail.md)."""
        names = self.claims.get(HOOK_CLAIMS)
        if not isinstance(names, list):
            return {}
        return {name: self.claims[name] for name in names if name in self.claims}

    def get_client(self) -> Client | None:
        found = services().clients.clients.client(FindClient(str(self.claims.get("client_id", ""))))
        return Client(found) if found is not None else None
