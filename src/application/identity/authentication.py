"""Authenticating a request: an access token in, the calling Actor out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from application.ports import Clock, TokenIssuer
from domain.errors import PermissionDenied, Unauthenticated
from domain.mfa import TotpFactor
from domain.sessions import Session
from domain.users import User


class Principals(Protocol):
    def load(self, user_id: str, session_id: str) -> tuple[User | None, Session | None]:
        """The user and the session named by an access token, in one round trip."""
        ...

    def load_with_factor(
        self, user_id: str, session_id: str
    ) -> tuple[User | None, Session | None, TotpFactor | None]:
        """As ``load``, and the user's authenticator (None if none), in the same round trip."""
        ...


@dataclass(frozen=True)
class Actor:
    """Who is calling, as established by authenticate(); routes hand this to use cases."""

    user_id: str
    username: str
    role: str
    session_id: str
    expires_at: datetime
    amr: tuple[str, ...] = ()  # how the session was authenticated (RFC 8176)
    # The account as authenticate() read it for this request: GET /user answers it without
    # a second read (one Firestore round trip per request, not two).
    user: User | None = field(default=None, compare=False, repr=False)
    # The account's authenticator, read in the same round trip when the command asked for it
    # (the account page shows its state); ``factor_read`` tells "none" from "not read".
    factor: TotpFactor | None = field(default=None, compare=False, repr=False)
    factor_read: bool = field(default=False, compare=False, repr=False)


@dataclass(frozen=True)
class Authenticate:
    access_token: str  # the bearer token of the request
    with_factor: bool = False  # read the account's authenticator with it (Actor.factor)


def authenticate(
    cmd: Authenticate, *, tokens: TokenIssuer, principals: Principals, clock: Clock
) -> Actor:
    claims = tokens.verify_access(cmd.access_token)
    factor: TotpFactor | None = None
    if cmd.with_factor:
        user, session, factor = principals.load_with_factor(claims.user_id, claims.session_id)
    else:
        user, session = principals.load(claims.user_id, claims.session_id)
    if (
        user is None
        or user.deleted_at is not None
        or session is None
        or not session.valid_for(user.id, user.token_version, clock.now())
    ):
        raise Unauthenticated("The access token is no longer valid.", code="invalid_token")
    if user.disabled:
        raise PermissionDenied("This account is disabled.", code="account_disabled")
    return Actor(
        user_id=user.id,
        username=user.username.value,
        role=user.role.value,  # the stored role, never the token's possibly stale claim
        session_id=session.id,
        expires_at=claims.expires_at,
        amr=session.amr,  # the session's, read in the same round trip as the user
        user=user,
        factor=factor,
        factor_read=cmd.with_factor,
    )


# -- wiring (docs/decisions/0042-wiring-per-feature.md) -------------------------------------


class AuthenticationPorts(Protocol):
    @property
    def tokens(self) -> TokenIssuer: ...
    @property
    def principals(self) -> Principals: ...
    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True)
class AuthenticationServices:
    authenticate: Callable[[Authenticate], Actor]
    jwks: Callable[[], dict[str, object]]  # the public keys that verify our access tokens


def bind(ports: AuthenticationPorts) -> AuthenticationServices:
    tokens, principals, clock = ports.tokens, ports.principals, ports.clock
    return AuthenticationServices(
        authenticate=lambda cmd: authenticate(
            cmd, tokens=tokens, principals=principals, clock=clock
        ),
        jwks=tokens.jwks,
    )
