"""The accounts' and sign-in's use cases on the fakes, called as the routes call them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from application.accounts.accounts import (
    NO_HOLD,
    AccountHooks,
    Accounts,
    PasswordCheck,
    Register,
)
from application.accounts.admin import Administration
from application.accounts.authentication import Actor, Authenticate, Authentication
from application.ports import AuditLog, OwnedData, RequestCounter
from application.signin import login as login_cases
from application.signin import sessions as cases
from application.signin.login import ChangePassword, Login
from application.signin.sessions import (
    Refresh,
    SignIn,
)
from application.signin.tokens import TokenPair, TokenPolicy
from domain.accounts.users import User
from domain.request_limits import Limit
from domain.signin.devices import DevicePolicy
from domain.signin.throttling import LoginThrottlePolicy
from infrastructure.request_counts import InMemoryRequestCounter
from infrastructure.signin.jwt_tokens import PyJWTTokenIssuer, SigningKey
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock, FakeHasher, InMemoryStore
from tests.fakes.signin import (
    FakeActiveOrgs,
    FakeLoginLookup,
    FakeLoginThrottle,
    FakeMfaRepository,
    FakePrincipals,
    FakeSessionRepository,
)
from tests.support.api import PASSWORD

IP = "192.0.2.1"
IDENTITY_CHANGES = Limit(10, 3600)  # the default of IDENTITY_CHANGE_LIMIT/_WINDOW


def _registered(user: User) -> None:
    """No mail follows a sign-up here."""


def _changed(before: User, after: User) -> None:
    """No mail follows a profile update here."""


def _no_password_check(user: User, password: str, *, session_id: str, client_ip: str) -> None:
    raise AssertionError("this test deletes no account with a password")


class World:
    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.users = FakeUserRepository(self.store)
        self.sessions = FakeSessionRepository(self.store)
        self.principals = FakePrincipals(self.store)
        self.hasher = FakeHasher()
        self.clock = FakeClock()
        self.tokens = PyJWTTokenIssuer(
            signing=SigningKey("HS256", b"k" * 32),
            issuer="iss",
            audience="aud",
            ttl=timedelta(minutes=15),
        )
        self.policy = TokenPolicy()
        self.throttle = FakeLoginThrottle()
        self.throttle_policy = LoginThrottlePolicy()
        self.devices = DevicePolicy()
        self.audit = RecordingAuditLog()
        self.factors = FakeMfaRepository(self.store)

    def register(self, username: str = "alice", email: str | None = None) -> User:
        cmd = Register(
            username=username, email=email or f"{username}@example.com", password=PASSWORD
        )
        return self.account_cases().register(cmd)

    def account_cases(
        self,
        *,
        audit: AuditLog | None = None,
        counter: RequestCounter | None = None,
        identity_changes: Limit = IDENTITY_CHANGES,
        owned: Sequence[OwnedData] = (),
        check_password: PasswordCheck = _no_password_check,
    ) -> Accounts:
        """``Accounts`` on this world's fakes; what a test does not give does nothing it
        reads: an audit log and a request counter of their own, no mails, no org's hold."""
        return Accounts(
            users=self.users,
            hasher=self.hasher,
            clock=self.clock,
            audit=audit if audit is not None else RecordingAuditLog(),
            hooks=AccountHooks(registered=_registered, changed=_changed),
            counter=counter if counter is not None else InMemoryRequestCounter(),
            identity_changes=identity_changes,
            hold=NO_HOLD,
            owned=owned,
            departures=(),
            check_password=check_password,
        )

    def admin_cases(self) -> Administration:
        """``Administration`` on this world's fakes, auditing to ``self.audit``."""
        return Administration(
            users=self.users, clock=self.clock, audit=self.audit, owned=(), departures=()
        )

    def login(
        self, login: str = "alice", password: str = PASSWORD, ip: str = IP, device: str = ""
    ) -> TokenPair:
        return login_cases.login(
            Login(login=login, password=password, client_ip=ip, device_token=device),
            users=self.users,
            sign_in=SignIn(self.sessions, self.tokens, self.clock, self.policy, self.audit),
            hasher=self.hasher,
            clock=self.clock,
            lookup=FakeLoginLookup(self.store, self.throttle),
            throttle=self.throttle,
            throttle_policy=self.throttle_policy,
            devices=self.devices,
            audit=self.audit,
            factors=self.factors,
        )

    def change_password(self, cmd: ChangePassword) -> None:
        login_cases.change_password(
            cmd,
            users=self.users,
            hasher=self.hasher,
            clock=self.clock,
            throttle=self.throttle,
            throttle_policy=self.throttle_policy,
        )

    def authenticate(self, token: str) -> Actor:
        authentication = Authentication(
            tokens=self.tokens, principals=self.principals, clock=self.clock
        )
        return authentication.authenticate(Authenticate(token))


class SessionWorld(World):
    def refresh(self, token: str) -> TokenPair:
        return cases.refresh(
            Refresh(token),
            users=self.users,
            sessions=self.sessions,
            tokens=self.tokens,
            clock=self.clock,
            policy=self.policy,
            audit=self.audit,
            orgs=FakeActiveOrgs(self.store),
        )
