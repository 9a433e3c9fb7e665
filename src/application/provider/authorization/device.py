"""The device authorization grant (RFC 8628; docs/reference/oauth.md, "Device
authorization"): a client starts a request and polls; a signed-in person types its user code
on /device, sees the client and the scopes, and allows or denies; the first poll after an
approval spends the request and creates its grant, in one commit."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.accounts.accounts import UserRepository
from application.clients.ports import OAuthClients
from application.ports import NO_WRITES, Audit, AuditEvent, AuditLog, Clock, StagedWrites
from application.provider.claims import Admission, admitted, members_only
from application.provider.grants import new_refresh_token
from application.provider.ports import OAuthPolicy
from application.signin.authentication import Actor
from application.signin.ports import ActiveOrgs
from application.signin.throttle import (
    LoginThrottle,
    reserve_guess,
    session_rules,
    session_success_keys,
    wrong_guess,
)
from domain.accounts.users import User
from domain.clients.oauth import DEVICE_CODE, OAuthClient, digest, scope_list
from domain.errors import NotFound
from domain.ids import new_id
from domain.provider.device_flow import (
    DEVICE_CODE_TTL,
    USER_CODE_ALPHABET,
    USER_CODE_LENGTH,
    Decision,
    DeviceAuthorization,
    Poll,
    PollOutcome,
    normalized_user_code,
    shown_user_code,
    user_code_key,
)
from domain.provider.grants import Grant
from domain.signin.throttling import LoginThrottlePolicy


class DeviceAuthorizations(Protocol):
    def add(self, request: DeviceAuthorization) -> bool:
        """Store a new request under its key; False if that key is taken (a user code in
        use)."""
        ...

    def get(self, key: str) -> DeviceAuthorization | None:
        """The request stored under that key, or None."""
        ...

    def decide(
        self, key: str, decide: Callable[[DeviceAuthorization], Decision]
    ) -> Decision | None:
        """Apply the pure ``decide`` atomically and store the request it gives (nothing for
        "invalid"); None if there is no such request."""
        ...

    def slow_down(self, key: str, interval: int) -> None:
        """Raise the request's polling interval to ``interval`` (never lowers it)."""
        ...

    def spend(
        self,
        key: str,
        poll: Callable[[DeviceAuthorization], Poll],
        grant: Callable[[DeviceAuthorization], Grant],
        staged: StagedWrites = NO_WRITES,
        read: DeviceAuthorization | None = None,
    ) -> Poll | None:
        """Apply the pure ``poll`` atomically: for "issue", store the spent request with the
        grant ``grant`` makes of it and ``staged``, in one commit, so that of any number of
        parallel polls one issues; ``read``: the request as the caller read it, for the first
        attempt. None if there is no such request."""
        ...


class PollMemory:
    """When this process last answered a poll of each request: a poll sooner than the
    request's interval is told ``slow_down`` without a write, and only a slow-down writes (the
    interval it widens holds for every instance). Polls that alternate between instances
    are each seen only by their own (docs/decisions/0293-device-polls-read-once.md)."""

    MAX_KEPT = 4096

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def too_soon(self, key: str, interval: int) -> bool:
        """Whether this poll comes sooner than ``interval`` seconds after the last one seen
        here; it becomes the last one either way."""
        now = self._monotonic()
        with self._lock:
            last = self._last.pop(key, None)
            while len(self._last) >= self.MAX_KEPT:
                del self._last[next(iter(self._last))]
            self._last[key] = now
        return last is not None and now - last < interval


@dataclass(frozen=True)
class StartDevice:
    client_id: str
    scope: str


@dataclass(frozen=True)
class DeviceStart:
    device_code: str  # shown once; only its hash is stored
    user_code: str  # as shown: ABCD-EFGH
    expires_in: int
    interval: int


MAX_TRIES = 5


@dataclass(frozen=True)
class FindDeviceRequest:
    """A user code typed on /device by a signed-in person: a guess, counted as a password
    guess on the keys of their session and address (docs/security.md, "Lockout")."""

    actor: Actor
    user_code: str
    client_ip: str


@dataclass(frozen=True)
class DeviceRequestView:
    user_code: str  # as shown
    client: OAuthClient
    scopes: tuple[str, ...]


NO_SUCH_CODE = "No request has this code: it may have expired, or been answered already."


@dataclass(frozen=True)
class DecideDevice:
    actor: Actor
    user_code: str
    allow: bool
    client_ip: str
    auth_time: datetime | None = None


@dataclass(frozen=True)
class PollDevice:
    device_code: str
    client_id: str
    dpop_jkt: str | None = None  # the DPoP key its refresh tokens are bound to, if any
    # The request as this poll read it already (``poll_pending``'s answer for a request not
    # pending): ``poll_device`` takes it rather than reading it again.
    read: DeviceAuthorization | None = None


@dataclass(frozen=True)
class DeviceTokens:
    """What an approved request gives its client: the account, the grant made, its first
    refresh token (with ``offline_access``)."""

    account: User
    grant_id: str
    scope: str
    refresh_token: str | None
    auth_time: datetime | None
    amr: tuple[str, ...]


@dataclass(frozen=True)
class Polled:
    outcome: PollOutcome
    interval: int = 0
    tokens: DeviceTokens | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DeviceFlow:
    """The device authorization grant's use cases: a client starts a request and polls, a
    signed-in person finds it by its user code and answers it. ``throttle`` counts a typed
    user code as a password guess (``throttle_policy``'s budgets); ``memory`` is this
    process's ``PollMemory``; ``policy`` says how long refresh tokens live."""

    devices: DeviceAuthorizations
    clients: OAuthClients
    users: UserRepository
    throttle: LoginThrottle
    throttle_policy: LoginThrottlePolicy
    memory: PollMemory
    clock: Clock
    audit: AuditLog
    policy: OAuthPolicy
    orgs: ActiveOrgs

    def start_device(self, cmd: StartDevice) -> DeviceStart:
        """A new request under a fresh user code (drawn again while one is in use). The
        device code names the request's key, then 256 random bits: a poll reads it by key
        (docs/decisions/0292-device-codes-stored-by-user-code.md)."""
        now = self.clock.now()
        for _ in range(MAX_TRIES):
            code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
            key = user_code_key(code)
            device_code = f"{key}.{secrets.token_urlsafe(32)}"
            request = DeviceAuthorization(
                key=key,
                device_hash=digest(device_code),
                client_id=cmd.client_id,
                scope=cmd.scope,
                created_at=now,
                expires_at=now + DEVICE_CODE_TTL,
            )
            if self.devices.add(request):
                ttl = int(DEVICE_CODE_TTL.total_seconds())
                return DeviceStart(device_code, shown_user_code(code), ttl, request.interval)
        raise RuntimeError("No free user code after several draws.")  # 20^8 codes: never

    def find_device_request(self, cmd: FindDeviceRequest) -> DeviceRequestView:
        """The pending request of this user code, with its client and scopes; a code that is
        none (unknown, expired, answered) is a wrong guess (404 ``device_code_unknown``), and
        past the budget a 429 before anything is read."""
        throttle, policy, clock = self.throttle, self.throttle_policy, self.clock
        user = cmd.actor.user or self.users.get(cmd.actor.user_id)
        if user is None:
            raise NotFound(NO_SUCH_CODE, code="device_code_unknown")
        rules = session_rules(user, cmd.actor.session_id, cmd.client_ip, policy)
        reservation = reserve_guess(throttle, rules, clock.now(), refused=lambda: None)
        found = self._pending(cmd.user_code, clock.now())
        if found is None:
            wrong_guess(throttle, reservation, clock.now())
            raise NotFound(NO_SUCH_CODE, code="device_code_unknown")
        throttle.release(
            reservation,
            session_success_keys(user, cmd.actor.session_id, cmd.client_ip, policy),
        )
        if not admitted(Admission(found.client, user.id), orgs=self.orgs):
            raise members_only()
        return found

    def _pending(self, typed: str, now: datetime) -> DeviceRequestView | None:
        code = normalized_user_code(typed)
        request = self.devices.get(user_code_key(code)) if code is not None else None
        if code is None or request is None or request.status != "pending" or request.expired(now):
            return None
        client = self.clients.get(request.client_id)
        if client is None or not client.allows_grant(DEVICE_CODE):
            return None
        return DeviceRequestView(shown_user_code(code), client, scope_list(request.scope))

    def decide_device(self, cmd: DecideDevice) -> DeviceRequestView:
        """The person's answer to a pending request, once: the code is a guess again, through
        ``find_device_request`` (the form that asks may be posted without the page), then its
        ``oauth.device_approved`` or ``oauth.device_denied`` event. A session of support
        access answers none: its route refuses it (docs/support-access.md)."""
        view = self.find_device_request(FindDeviceRequest(cmd.actor, cmd.user_code, cmd.client_ip))
        code = normalized_user_code(cmd.user_code) or ""
        actor, now = cmd.actor, self.clock.now()
        decision = self.devices.decide(
            user_code_key(code),
            lambda request: request.decide(
                allow=cmd.allow,
                user_id=actor.user_id,
                grant_id=new_id(),
                auth_time=cmd.auth_time,
                amr=actor.amr,
                now=now,
            ),
        )
        if decision is None or decision.outcome != "decided":
            raise NotFound(NO_SUCH_CODE, code="device_code_unknown")
        event = Audit.OAUTH_DEVICE_APPROVED if cmd.allow else Audit.OAUTH_DEVICE_DENIED
        self.audit.record(
            AuditEvent(
                event,
                user_id=actor.user_id,
                session_id=actor.session_id,
                reason=view.client.client_id,
            )
        )
        return view

    def poll_device(self, cmd: PollDevice) -> Polled:
        """RFC 8628 §3.4-3.5. A pending poll reads the request once and writes nothing,
        unless it comes too soon (``slow_down``, the interval widened). The approved request
        is spent by one poll, with its grant, issued to the account that approved it while
        that account is enabled."""
        key = cmd.device_code.partition(".")[0]
        found = cmd.read if cmd.read is not None and cmd.read.key == key else None
        if found is None and "." in cmd.device_code:
            found = self.devices.get(key)
        if found is None:
            return Polled("invalid")
        now = self.clock.now()
        hashed = digest(cmd.device_code)
        outcome = found.poll(cmd.client_id, hashed, now).outcome
        if outcome == "pending":
            return self._still_pending(found)
        if outcome != "issue":
            return Polled(outcome)
        account = self.users.get(found.user_id or "")
        if account is None or account.disabled:
            return Polled("denied")
        client = self.clients.get(found.client_id)
        if client is not None and not admitted(Admission(client, account.id), orgs=self.orgs):
            return Polled("denied")  # no more a member of the org of an app for its members
        return self._issue(found, account, hashed, cmd.dpop_jkt)

    def poll_pending(self, cmd: PollDevice) -> Polled | DeviceAuthorization | None:
        """``poll_device``'s answer to a poll of a request still pending for its client
        (``pending``, or ``slow_down``), from one read; for any other request (answered,
        expired, another client's) the request as read, which ``poll_device`` answers
        without reading it again (``PollDevice.read``); None for an unknown one. The token
        endpoint asks this first (docs/decisions/0296-device-polls-before-authlib.md)."""
        key = cmd.device_code.partition(".")[0]
        found = self.devices.get(key) if "." in cmd.device_code else None
        if found is None:
            return None
        hashed = digest(cmd.device_code)
        if found.poll(cmd.client_id, hashed, self.clock.now()).outcome != "pending":
            return found
        return self._still_pending(found)

    def _still_pending(self, found: DeviceAuthorization) -> Polled:
        """A pending request's answer: ``slow_down`` to a poll sooner than its interval
        (which it widens), else ``pending``."""
        if self.memory.too_soon(found.key, found.interval):
            slower = found.slowed()
            if slower.interval != found.interval:
                self.devices.slow_down(found.key, slower.interval)
            return Polled("slow_down", slower.interval)
        return Polled("pending", found.interval)

    def _issue(
        self, found: DeviceAuthorization, account: User, hashed: str, dpop_jkt: str | None
    ) -> Polled:
        now, audit = self.clock.now(), self.audit
        grant_id = found.grant_id or new_id()
        with_refresh = "offline_access" in scope_list(found.scope)
        refresh = new_refresh_token(grant_id, account.id) if with_refresh else None
        refresh_ttl = self.policy.refresh_ttl

        def grant(request: DeviceAuthorization) -> Grant:
            return Grant(
                id=grant_id,
                user_id=account.id,
                client_id=request.client_id,
                scope=request.scope,
                created_at=now,
                token_version=account.token_version,
                refresh_hash=digest(refresh) if refresh else None,
                refresh_expires_at=now + refresh_ttl if refresh else None,
                issued=True,
                dpop_jkt=dpop_jkt if refresh else None,
                auth_time=request.auth_time,
                amr=request.amr,
            )

        staged = audit.stage(
            [AuditEvent(Audit.OAUTH_GRANTED, user_id=account.id, reason=found.client_id)]
        )
        spent = self.devices.spend(
            found.key,
            lambda request: request.poll(found.client_id, hashed, now),
            grant,
            staged,
            read=found,
        )
        if spent is None or spent.outcome != "issue":
            return Polled("invalid" if spent is None else spent.outcome)
        audit.committed(staged)
        tokens = DeviceTokens(account, grant_id, found.scope, refresh, found.auth_time, found.amr)
        return Polled("issue", tokens=tokens)
