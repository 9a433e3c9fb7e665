"""Authenticating a request: an access token in, the calling Actor out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from application.ports import Clock
from application.signin.ports import TokenIssuer
from domain.accounts.guest.part import Guest
from domain.accounts.outlasting import Outlasting
from domain.accounts.users import Role, User
from domain.errors import PermissionDenied, ReauthenticationRequired, Unauthenticated
from domain.signin.active_org import ActiveOrg
from domain.signin.mfa import TotpFactor
from domain.signin.personal_tokens import PersonalToken, Presented, check_scope, is_personal
from domain.signin.sessions import Session
from domain.slots import Slot


class Principals(Protocol):
    def load(self, user_id: str, session_id: str) -> tuple[User | None, Session | None]:
        """The user and the session named by an access token, in one round trip."""
        ...

    def load_with_factor(
        self, user_id: str, session_id: str
    ) -> tuple[User | None, Session | None, TotpFactor | None]:
        """As ``load``, and the user's authenticator (None if none), in the same round trip."""
        ...

    def load_in_org(
        self, user_id: str, session_id: str, org_id: str, *, factor: bool
    ) -> tuple[User | None, Session | None, TotpFactor | None, ActiveOrg | None]:
        """As ``load`` (``load_with_factor`` when ``factor``), and the person's membership of
        the live org ``org_id`` (None if none), in the same round trip."""
        ...

    def load_personal(
        self, user_id: str, token_id: str
    ) -> tuple[User | None, PersonalToken | None]:
        """The user and the personal access token a presented token names, in one round
        trip."""
        ...

    def load_personal_in_org(
        self, user_id: str, token_id: str, org_id: str
    ) -> tuple[User | None, PersonalToken | None, ActiveOrg | None]:
        """As ``load_personal``, and the person's membership of the live org ``org_id`` (None
        if none), in the same round trip."""
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
    # The session as read in the same round trip (None for a personal token).
    session: Session | None = field(default=None, compare=False, repr=False)
    # A personal access token's scopes (docs/reference/tokens.md); None: a session's access
    # token, which may do everything its account may. ``session_id`` is then the token's id.
    token_scopes: tuple[str, ...] | None = None
    # The session's credentials were checked within REAUTH_MAX_AGE: it may add a way to sign
    # in (``require_recent_sign_in``). Never a personal token.
    recent_sign_in: bool = False
    # The org the session acts in, as stored when this request read it with the user and the
    # session; None: none chosen, or the membership or the org ended since
    # (docs/decisions/0369-a-membership-ended-mid-session.md).
    org: ActiveOrg | None = None

    @property
    def personal(self) -> bool:
        """Is the caller a personal access token rather than a signed-in session?"""
        return self.token_scopes is not None

    @property
    def acting_admin_id(self) -> str | None:
        """The admin acting as the person in this session (support access), or None."""
        return self.session.acting_admin_id if self.session is not None else None

    @property
    def locale(self) -> str | None:
        """The account's language, as authenticate() read it (None: none chosen)."""
        return self.user.locale if self.user is not None else None

    @property
    def time_zone(self) -> str | None:
        """The account's time zone, as authenticate() read it (None: none chosen)."""
        return self.user.time_zone if self.user is not None else None


def actor_of(caller: object) -> Actor:
    """The request's caller as sign-in made it (the kernel's ``AUTHENTICATE``, which sign-in
    fills: docs/decisions/0806-the-requests-caller-is-a-slot-signin-fills.md): its
    ``Actor``; a ``TypeError`` for any other."""
    if not isinstance(caller, Actor):
        raise TypeError(f"the request's caller is no sign-in Actor: {type(caller).__name__}")
    return caller


DEFAULT_REAUTH_MAX_AGE = timedelta(minutes=10)  # TokenPolicy.reauth_max_age's


class SignedInLately(Protocol):
    """What knows whether its session signed in lately: the ``Actor``, and the commands made
    from it."""

    @property
    def recent_sign_in(self) -> bool: ...


def require_recent_sign_in(who: SignedInLately) -> None:
    """The one place a change asks for a recent sign-in: a new way into the account (a
    provider, a passkey, TOTP, a first password, recovery codes) is added only by a session
    that signed in lately, so a stolen session alone cannot make itself a lasting way in
    (docs/security.md, "A new way in"). 403 ``reauthentication_required``. A session of
    support access never counts as one (``Authentication.authenticate``): the person signed
    in to none of it."""
    if not who.recent_sign_in:
        raise ReauthenticationRequired()


@dataclass(frozen=True)
class Authenticate:
    access_token: str  # the bearer token of the request
    with_factor: bool = False  # read the account's authenticator with it (Actor.factor)
    # The request's method where a personal access token is accepted too (the JSON API);
    # None: only a session's access token (the pages' cookie).
    personal_method: str | None = None
    # The route being served (method, rule as declared): the session guards say what of
    # it a session they watch may not do; None: no route (a use case's own call).
    route: Route | None = None


type Route = tuple[str, str]  # (method, rule as the route declares it)


class SessionGuard(Protocol):
    """Sign-in's slot of the session guards (``SESSION_GUARDS``, below):
    what a kind of session may not do, declared once by the unit that makes such sessions
    (support access's ``OwnSessionOnly``, made of the routes every unit says outlast a
    session: the accounts' ``OUTLASTING_ROUTES``), applied here, where the actor of each
    request is built, to the routes the guard marks sensitive (docs/contributing.md,
    "Units")."""

    def check(self, session: Session, route: Route | None) -> None:
        """Raise a ``DomainError`` (403) when ``session`` may not be served ``route``."""
        ...


# What a session guard is made of: the routes every running unit says outlast a session
# (the accounts' ``OUTLASTING_ROUTES``), each with its kind.
type GuardMaker = Callable[[Mapping[Route, Outlasting]], SessionGuard]

# Sign-in's slot: the makers of the session guards the running units lend, each made once,
# when the service is built, of every route the running units name (``outlasting_routes``).
SESSION_GUARDS = Slot[GuardMaker]("session guards")


class ActingNote(Protocol):
    """Where the request being served learns that an admin acts in it (support access):
    the events it causes name the admin as their actor (docs/support-access.md)."""

    def acting(self, person_id: str, admin_id: str) -> None:
        """This request's session is one of support access: ``admin_id`` acts as
        ``person_id``."""
        ...


class _NoNote:
    def acting(self, person_id: str, admin_id: str) -> None:
        return None


NO_NOTE: ActingNote = _NoNote()  # outside a request that has events to name (unit tests)


def authenticate_personal(text: str, method: str, principals: Principals, clock: Clock) -> Actor:
    """A personal access token: its account and token (and for one scoped to an org, the
    membership) read in one round trip; 401 as any bad token when it is unknown, revoked,
    expired, ended with the account's sessions, or scoped to an org the account is no
    longer a member of (or that was deleted); 403 ``insufficient_scope`` for a method its
    scopes do not allow."""
    presented = Presented.parse(text)
    user, token, org = None, None, None
    if presented is not None and presented.org_id is not None:
        user, token, org = principals.load_personal_in_org(
            presented.user_id, presented.token_id, presented.org_id
        )
    elif presented is not None:
        user, token = principals.load_personal(presented.user_id, presented.token_id)
    if (
        presented is None
        or user is None
        or token is None
        or not token.opens(presented, user, clock.now())
        or (
            token.org_id is not None
            and (org is None or not org.admits(token.org_id, token.created_at))
        )
    ):
        raise Unauthenticated("The access token is no longer valid.", code="invalid_token")
    check_scope(token.scopes, method)
    return Actor(
        user_id=user.id,
        username=user.shown_name,
        role=user.role.value,
        session_id=token.id,
        expires_at=token.expires_at,
        user=user,
        token_scopes=token.scopes,
        org=org,  # the org it is scoped to, as stored now
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Authentication:
    """Who calls: a request's access token verified, and the account and session (or
    personal token) it names read in one round trip. ``tokens``: sign-in's access tokens,
    which every request presents; ``reauth_max_age``: how recent a sign-in
    ``Actor.recent_sign_in`` asks for."""

    tokens: TokenIssuer
    principals: Principals
    clock: Clock
    reauth_max_age: timedelta = DEFAULT_REAUTH_MAX_AGE
    note: ActingNote = NO_NOTE
    # The session guards the units lend, each asked of every session's request.
    guards: Sequence[SessionGuard] = ()

    def authenticate(self, cmd: Authenticate) -> Actor:
        """The caller; the session guards asked of ``cmd.route``; where someone else acts
        in the session (support access): no recent sign-in, an active org it may not act in
        dropped, and the session ends where no guard watches it (its unit taken out)
        (docs/support-access.md)."""
        principals = self.principals
        if cmd.personal_method is not None and is_personal(cmd.access_token):
            return authenticate_personal(
                cmd.access_token, cmd.personal_method, principals, self.clock
            )
        claims = self.tokens.verify_access(cmd.access_token)
        factor: TotpFactor | None = None
        org: ActiveOrg | None = None
        if claims.org_id is not None:
            user, session, factor, org = principals.load_in_org(
                claims.user_id, claims.session_id, claims.org_id, factor=cmd.with_factor
            )
        elif cmd.with_factor:
            user, session, factor = principals.load_with_factor(claims.user_id, claims.session_id)
        else:
            user, session = principals.load(claims.user_id, claims.session_id)
        now = self.clock.now()
        if (
            user is None
            or user.deleted_at is not None
            or session is None
            or not session.valid_for(user.id, user.token_version, now)
            # No one acts as an admin: support access ends if the person becomes one
            # (docs/decisions/0584-no-admin-acts-as-an-admin.md).
            or (session.impersonated and user.role is Role.ADMIN)
            or (session.impersonated and not self.guards)
        ):
            raise Unauthenticated("The access token is no longer valid.", code="invalid_token")
        if user.disabled:
            raise PermissionDenied("This account is disabled.", code="account_disabled")
        if session.acting_admin_id is not None:
            self.note.acting(user.id, session.acting_admin_id)
        for guard in self.guards:
            guard.check(session, cmd.route)
        return Actor(
            user_id=user.id,
            username=user.shown_name,
            role=user.role.value,  # the stored role, never the token's possibly stale claim
            session_id=session.id,
            expires_at=claims.expires_at,
            amr=session.amr,  # the session's, read in the same round trip as the user
            user=user,
            factor=factor,
            factor_read=cmd.with_factor,
            session=session,
            # A guest has no other way in to sign in again with: its session is its proof
            # (docs/security.md, "A new way in").
            # Support access is no sign-in of the person's: it adds no way in.
            recent_sign_in=not session.impersonated
            and (user.part(Guest).is_guest or session.signed_in_within(self.reauth_max_age, now)),
            # The token's org while it is still the session's (a switch or a clear ends it
            # for the tokens minted before), the membership stands, and, for a session of
            # support access, the org lets it act there.
            org=org
            if org is not None
            and session.org_id == org.id
            and session.may_act_in(org.id, org_allows=org.support_access)
            else None,
        )

    def account_of(self, access_token: str) -> str | None:
        """The account a session's access token names, by its signature alone, nothing read:
        whom its request counts against in the request limits (docs/security.md); None for
        anything else."""
        try:
            return self.tokens.verify_access(access_token).user_id
        except Unauthenticated:
            return None

    def jwks(self) -> dict[str, object]:
        """The public keys that verify our access tokens."""
        return self.tokens.jwks()
