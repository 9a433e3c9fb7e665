"""The sign-in step every way of signing in ends with (``SignIn``: the gate, the
``before_sign_in`` hooks, the session and its first token pair), a unit's way in too (the
guests unit's ``POST /auth/guest``: application/guests/way_in.py)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from application.accounts.accounts import UserRepository as Users
from application.accounts.guest.upgrades import GuestSignIn
from application.ports import NO_WRITES, Audit, AuditEvent, AuditLog, Clock, StagedWrites
from application.signin.mfa import MfaRepository, require_second_factor
from application.signin.ports import (
    NO_SIGN_IN_HOOK,
    NO_TOKEN_HOOK,
    SignInHook,
    TokenHook,
    TokenIssuer,
)
from application.signin.sessions import SessionRepository
from application.signin.throttle import account_key
from application.signin.tokens import (
    TokenPair,
    TokenPolicy,
    hash_refresh_secret,
    hook_claims,
    token_pair,
)
from domain.accounts.users import User
from domain.errors import DomainError
from domain.hooks.auth_hooks import RequiredFactor
from domain.hooks.before_sign_in import (
    NO_SESSION_CLAIMS,
    SIGN_IN_ALLOWED,
    SignInDenied,
    SignInFactorUnavailable,
    SignInHookRequest,
    SignInPasskeyRequired,
    SignInVerdict,
    missing_factors,
)
from domain.ids import new_id
from domain.signin.devices import Device, is_new_device
from domain.signin.hook_kinds import user_fields
from domain.signin.mfa import sign_in_method
from domain.signin.sessions import Acting, Session

log = logging.getLogger("firegate.sessions")


def start_session(
    user: User,
    *,
    user_agent: str,
    sessions: SessionRepository,
    tokens: TokenIssuer,
    clock: Clock,
    policy: TokenPolicy,
    amr: tuple[str, ...],
    session_id: str | None = None,
    staged: StagedWrites = NO_WRITES,
    hook: TokenHook = NO_TOKEN_HOOK,
    claims: Mapping[str, object] = NO_SESSION_CLAIMS,
    lifetime: timedelta | None = None,
    acting: Acting | None = None,
) -> TokenPair:
    """A new session and its first token pair. ``amr`` names how the user proved who they
    are (RFC 8176: "pwd", "otp", "fed", "hwk", "swk"); the session keeps it, so every token
    of the session, refreshed or renewed, carries it. ``staged`` is committed with it;
    ``hook`` adds its claims to the first access token, asked before anything is stored (a
    hook that refuses leaves no session behind). ``claims``: the session's own, which its
    every token carries (the ``before_sign_in`` hooks'). ``lifetime``: shorter than the
    policy's (support access); ``acting``: the admin acting as the person, and the org
    that granted it (docs/support-access.md)."""
    now = clock.now().replace(microsecond=0)  # JWT times are whole seconds
    secret = secrets.token_urlsafe(32)
    session = Session.start(
        id=session_id or new_id(),
        user_id=user.id,
        token_version=user.token_version,
        refresh_hash=hash_refresh_secret(secret),
        now=now,
        lifetime=lifetime or policy.session_lifetime,
        user_agent=user_agent,
        amr=amr,
        claims=claims,
        acting_admin_id=acting.admin_id if acting else None,
        acting_admin_name=acting.admin_name if acting else "",
        acting_org_id=acting.org_id if acting else None,
    )
    added = hook_claims(hook, "access", user, reserved=policy.claims.reserved, session=session)
    sessions.add(session, staged)
    return token_pair(user, session, secret, tokens=tokens, now=now, policy=policy, claims=added)


class SignInGate(Protocol):
    def __call__(self, user: User, *, amr: tuple[str, ...], via: str | None) -> None:
        """Raise a DomainError when the account may not sign in this way (``amr``; ``via``:
        the identity provider of a federated sign-in), before any session exists."""
        ...


def any_way_in(user: User, *, amr: tuple[str, ...], via: str | None) -> None:
    """The gate that lets every way of signing in through."""


@dataclass(frozen=True)
class SignInRequest:
    """Who signs in, and how, for the sign-in step (``SignIn``).

    ``amr``: how the user proved who they are (RFC 8176). ``via``: the identity provider a
    federated sign-in came through (its first factor's, after a second factor), for the
    gate.

    ``proof``: the event and reason of the step that proved the user (a second factor),
    recorded on the new session just before the sign-in itself. What the audit log stores
    of them is written in the session's own commit.

    ``knows_devices``: the way of signing in takes device tokens (password, its second step,
    passkey); ``device`` the valid one it presented, if any. A sign-in without a device of
    the account is recorded as a new device (a notice mail follows, from the audit path),
    unless it is the account's first: that one only marks the account, the one write a
    sign-in from a known device never makes (docs/decisions/0173-new-device-mail.md).

    ``method``: the way in the sign-in's event names (docs/reference/events.md); by default
    the one its first factor says (``sign_in_method``); ``org_id``: the org whose connection
    it came through, whose audit log it is on."""

    user: User
    amr: tuple[str, ...]
    user_agent: str
    ip: str | None = None
    event: Audit = Audit.LOGIN
    reason: str | None = None
    proof: tuple[Audit, str] | None = None
    knows_devices: bool = False
    device: Device | None = None
    via: str | None = None
    method: str | None = None
    org_id: str | None = None
    client: Mapping[str, object] | None = None  # the OpenID client it is for (``client_id``)
    # The before_sign_in hooks' claims, asked already: a guest's upgrade asks them before its
    # commit (``hooks_before_sign_in``), and they are not asked twice of one sign-in.
    hooks_said: Mapping[str, object] | None = None


class PasskeyList(Protocol):
    def list_for_user(self, user_id: str, limit: int) -> Sequence[object]:
        """Up to ``limit`` of the user's passkeys."""
        ...


FIREBASE = "firebase"  # the identity provider a Firebase ID token's sign-in comes through


def _way_in(request: SignInRequest) -> str:
    """The way in as the ``before_sign_in`` hook is told it (docs/hooks.md): the sign-in
    event's method, a federated one named ``firebase`` or ``upstream`` by its provider."""
    if request.method:
        return request.method
    if request.via:
        return FIREBASE if request.via == FIREBASE else "upstream"
    return sign_in_method(request.amr) or "unknown"


def hooks_before_sign_in(
    hook: SignInHook, audit: AuditLog, request: SignInRequest
) -> SignInVerdict:
    """What the ``before_sign_in`` hooks say of ``request``, asked before anything is stored
    (none set: they allow, with no claims); their deny, recorded as the refused sign-in, is a
    403 ``signin_denied`` with their message."""
    if not hook.active():
        return SIGN_IN_ALLOWED
    user, amr = request.user, request.amr
    asked = SignInHookRequest(
        user=user_fields(user),
        method=_way_in(request),
        amr=amr,
        org=None if request.org_id is None else {"id": request.org_id},
        client=request.client,
        ip=request.ip,
        user_agent=request.user_agent or None,
    )
    verdict = hook.before_sign_in(asked)
    if verdict.denied:
        audit.record(
            AuditEvent(
                request.event,
                "failure",
                user_id=user.id,
                ip=request.ip,
                reason=SignInDenied.code,
                user_agent=request.user_agent or None,
            )
        )
        raise SignInDenied(verdict.message)
    return verdict


@dataclass(frozen=True, kw_only=True)
class SignIn:
    """The step every way of signing in ends with (password, second factor, Firebase,
    passkey): a new session, its first token pair, and the audit record naming the session;
    and, where the way of signing in knows devices, whether this one is new. ``gate`` runs
    first: an org that requires its single sign-on refuses its members any other way
    (docs/decisions/0394-requiring-single-sign-on.md)."""

    sessions: SessionRepository
    tokens: TokenIssuer
    clock: Clock
    policy: TokenPolicy
    audit: AuditLog
    users: Users | None = None  # marks the account's first sign-in (None: not marked)
    gate: SignInGate = any_way_in
    hook: TokenHook = NO_TOKEN_HOOK  # before_token: claims added to the first access token
    # before_sign_in: asked after the gate, before anything is stored; what it requires is
    # asked for with the account's factors (``factors``, ``passkeys``)
    sign_in_hook: SignInHook = NO_SIGN_IN_HOOK
    factors: MfaRepository | None = None
    passkeys: PasskeyList | None = None

    def __call__(self, request: SignInRequest) -> TokenPair:
        """A new session for ``request.user``, signed in as ``request`` says."""
        user, amr = request.user, request.amr
        self.gate(user, amr=amr, via=request.via)
        said = request.hooks_said
        session_claims = said if said is not None else self._checked(request)
        new_device = request.knows_devices and is_new_device(user, request.device)
        if not user.has_signed_in and self.users is not None:
            try:
                self.users.update(user.id, lambda u: u.signing_in())
            except DomainError as error:  # the next sign-in is then taken as the first
                log.warning("first sign-in not marked (%s)", type(error).__name__)
        session_id = new_id()
        event, proof = request.event, request.proof
        kinds = ((proof,) if proof else ()) + ((event, request.reason),)
        kinds += ((Audit.NEW_DEVICE, None),) if new_device else ()
        way_in = request.method or sign_in_method(amr)
        records = [
            AuditEvent(
                kind,
                user_id=user.id,
                session_id=session_id,
                ip=request.ip,
                reason=why,
                user_agent=request.user_agent or None,
                method=way_in if kind is event else None,
                org_id=request.org_id if kind is event else None,
            )
            for kind, why in kinds
        ]
        staged = self.audit.stage(records)
        pair = start_session(
            user,
            user_agent=request.user_agent,
            sessions=self.sessions,
            tokens=self.tokens,
            clock=self.clock,
            policy=self.policy,
            amr=amr,
            session_id=session_id,
            staged=staged,
            hook=self.hook,
            claims=session_claims,
        )
        self.audit.committed(staged)
        return pair

    def _checked(self, request: SignInRequest) -> Mapping[str, object]:
        """The ``before_sign_in`` hooks' say (docs/hooks.md, "before_sign_in"): 403
        ``signin_denied`` with their message; MfaRequired (or a 403 where the account lacks
        it) for a factor they require that the sign-in's ``amr`` does not show; else the
        claims of the session to be."""
        verdict = hooks_before_sign_in(self.sign_in_hook, self.audit, request)
        missing = missing_factors(verdict.require, request.amr)
        if missing:
            self._step_up(request, missing)
        return verdict.session_claims

    def _step_up(self, request: SignInRequest, missing: tuple[RequiredFactor, ...]) -> None:
        """Ask for the factors ``missing``: a code of the account's authenticator app through
        the second step of a login (MfaRequired; the hooks are asked again once it is
        given), a passkey by signing in with it (docs/decisions/0570-a-required-factor.md);
        403 ``signin_factor_unavailable`` for one the account does not have."""
        user = request.user
        if RequiredFactor.OTP in missing:
            factor = self.factors.get(user.id) if self.factors is not None else None
            if self.factors is None or factor is None or not factor.active or not request.amr:
                raise SignInFactorUnavailable(RequiredFactor.OTP)
            require_second_factor(  # raises MfaRequired
                user,
                login_key=account_key(user),
                first_factor=request.amr,
                device_id=request.device.id if request.device is not None else None,
                ip=request.ip,
                factors=self.factors,
                clock=self.clock,
                audit=self.audit,
                via=request.via,
                method=request.method,
                reason=request.reason,
                org_id=request.org_id,
            )
        if self.passkeys is not None and self.passkeys.list_for_user(user.id, 1):
            raise SignInPasskeyRequired()
        raise SignInFactorUnavailable(RequiredFactor.PASSKEY)


@dataclass(frozen=True, kw_only=True, slots=True)
class UpgradeSignIns:
    """The accounts' ``SignInCheck``: the ``before_sign_in`` hooks asked of a guest's upgrade
    before its commit, with the account as it will be (docs/hooks.md, "before_sign_in"). A
    factor they require that the upgrade does not show is 403 ``signin_factor_unavailable``:
    a guest has no second factor to give (docs/decisions/0630-one-place-for-a-guests-upgrade.md)."""

    hook: SignInHook
    audit: AuditLog

    def __call__(self, user: User, sign_in: GuestSignIn, ip: str | None) -> Mapping[str, object]:
        request = SignInRequest(
            user,
            sign_in.amr,
            sign_in.user_agent,
            ip=ip,
            method=sign_in.method,
            org_id=sign_in.org_id,
        )
        verdict = hooks_before_sign_in(self.hook, self.audit, request)
        missing = missing_factors(verdict.require, sign_in.amr)
        if missing:
            raise SignInFactorUnavailable(missing[0])
        return verdict.session_claims
