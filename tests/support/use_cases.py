"""The accounts' and sign-in's use cases on the fakes, called as the routes call them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from application.accounts.accounts import (
    NO_HOLD,
    AccountHooks,
    Accounts,
    PasswordCheck,
    UserRepository,
)
from application.accounts.addresses import AddressRule
from application.accounts.admin import Administration
from application.accounts.breached import BreachPolicy, PasswordScreen
from application.accounts.challenge_gate import ChallengeGate, ChallengePolicy, ChallengeVerifier
from application.accounts.guest.upgrades import Upgraded, UpgradeGuest
from application.accounts.signups import Register, Signups
from application.accounts.ways_in import IdentityRepository
from application.hooks.caller import HookCache, HookCaller, KindCaller
from application.hooks.ports import HookPolicy
from application.migration.legacy_passwords import LegacyPasswordCheck
from application.ports import NO_METRICS, AuditLog, Metrics, OwnedData, RequestCounter
from application.signin.authentication import Actor, Authenticate, Authentication
from application.signin.factors.passkeys import PasskeyOrigins, PasskeyRepository, Passkeys
from application.signin.factors.totp import TotpFactors
from application.signin.login import ChangePassword, Login, LoginLookup, Logins
from application.signin.mfa import MfaRepository
from application.signin.ports import NO_TOKEN_HOOK, LegacyPasswords, TokenHook
from application.signin.sessions import Refresh, Sessions
from application.signin.sign_in import SignIn
from application.signin.tokens import TokenPair, TokenPolicy
from bootstrap.accounts_rules import NO_DOMAINS
from domain.accounts.guest.refusals import NotAGuest
from domain.accounts.signups import SignupPolicy
from domain.accounts.users import User
from domain.request_limits import Limit
from domain.signin.devices import DevicePolicy
from domain.signin.hook_kinds import PASSWORD_VERIFICATION
from domain.signin.throttling import LoginThrottlePolicy
from infrastructure.accounts.email_syntax import EmailValidatorSyntax
from infrastructure.request_counts import InMemoryRequestCounter
from infrastructure.signin.jwt_tokens import PyJWTTokenIssuer, SigningKey
from infrastructure.signin.one_time_passwords import PyotpOneTimePasswords
from infrastructure.signin.secret_box import FernetSecretBox
from infrastructure.signin.webauthn_ceremonies import WebAuthnCeremonies
from tests.fakes.accounts import (
    FakeBreachedPasswords,
    FakeChallengeVerifier,
    FakeSpentChallenges,
    FakeUserRepository,
    profile_schemas,
)
from tests.fakes.claims import CLAIMS
from tests.fakes.events import RecordingAuditLog
from tests.fakes.federation import FakeIdentityRepository
from tests.fakes.hooks import FakeAuthHooks, FakeHookClient
from tests.fakes.kernel import FakeClock, FakeHasher, FakeHostResolver, InMemoryStore
from tests.fakes.signin import (
    FakeActiveOrgs,
    FakeChallengeRepository,
    FakeLoginLookup,
    FakeLoginThrottle,
    FakeMfaRepository,
    FakePasskeyRepository,
    FakePrincipals,
    FakeSessionRepository,
)
from tests.support.api import PASSWORD
from tests.support.settings import TEST_MFA_KEY

IP = "192.0.2.1"
IDENTITY_CHANGES = Limit(10, 3600)  # the default of IDENTITY_CHANGE_LIMIT/_WINDOW
PASSWORD_CHANGES = Limit(10, 3600)  # the default of PASSWORD_CHANGE_LIMIT/_WINDOW


def _registered(user: User) -> None:
    """No mail follows a sign-up here."""


def _changed(before: User, after: User) -> None:
    """No mail follows a profile update here."""


def _no_password_check(user: User, password: str, *, session_id: str, client_ip: str) -> None:
    raise AssertionError("this test deletes no account with a password")


def no_upgrade(cmd: UpgradeGuest) -> Upgraded:
    """The passkeys' cases of one room have no guests to upgrade."""
    raise NotAGuest()


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
        self.policy = TokenPolicy(claims=CLAIMS)
        self.throttle = FakeLoginThrottle()
        self.throttle_policy = LoginThrottlePolicy()
        self.devices = DevicePolicy()
        self.audit = RecordingAuditLog()
        self.factors = FakeMfaRepository(self.store)
        self.otp = PyotpOneTimePasswords()
        self.box = FernetSecretBox(TEST_MFA_KEY)
        self.breaches = FakeBreachedPasswords()  # none, until a test adds some
        self.breach_policy = BreachPolicy(mode="block")
        self.metrics: Metrics = NO_METRICS
        self.challenge_gate = self.gate(ChallengePolicy())  # no provider: nothing asked
        self.schemas = profile_schemas()
        self.token_hook: TokenHook = NO_TOKEN_HOOK  # before_token: a test may set its fake
        self.request_counter: RequestCounter = InMemoryRequestCounter()  # per-account counts
        self.password_changes = PASSWORD_CHANGES
        # The password_verification hook of legacy accounts: none until a test sets one
        # (``self.hooks``), answered by ``self.hook_client``
        self.hooks = FakeAuthHooks()
        self.hook_client = FakeHookClient({"valid": False})
        self.hook_caller = HookCaller(
            cache=HookCache(self.hooks, self.clock, ttl=0),
            store=self.hooks,
            box=self.box,
            resolver=FakeHostResolver({}),
            client=self.hook_client,
            clock=self.clock,
            policy=HookPolicy(local=True),
        )
        self.legacy: LegacyPasswords = LegacyPasswordCheck(
            caller=KindCaller(PASSWORD_VERIFICATION, self.hook_caller),
            users=self.users,
            hasher=self.hasher,
            clock=self.clock,
            pause=lambda seconds: None,
        )

    def gate(
        self,
        policy: ChallengePolicy,
        verifier: ChallengeVerifier | None = None,
        counter: RequestCounter | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> ChallengeGate:
        """The challenge's gate on this world's fakes, auditing to ``self.audit``."""
        return ChallengeGate(
            challenge=verifier if verifier is not None else FakeChallengeVerifier(),
            spent=FakeSpentChallenges(),
            policy=policy,
            counter=counter if counter is not None else InMemoryRequestCounter(),
            clock=self.clock,
            audit=self.audit,
            metrics=metrics,
        )

    def passwords(self) -> PasswordScreen:
        """The breached-password check on this world's fakes as they are now."""
        return PasswordScreen(
            breaches=self.breaches,
            policy=self.breach_policy,
            metrics=self.metrics,
            audit=self.audit,
        )

    def register(self, username: str = "alice", email: str | None = None) -> User:
        cmd = Register(
            username=username,
            email=email or f"{username}@example.com",
            password=PASSWORD,
            client_ip="",
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
            addresses=AddressRule(syntax=EmailValidatorSyntax(), domains=NO_DOMAINS, local=False),
            owned=owned,
            departures=(),
            check_password=check_password,
            signups=Signups(policy=SignupPolicy(), audit=None, gate=self.challenge_gate),
            passwords=self.passwords(),
            schemas=self.schemas,
        )

    def admin_cases(self) -> Administration:
        """``Administration`` on this world's fakes, auditing to ``self.audit``."""
        return Administration(
            users=self.users,
            clock=self.clock,
            audit=self.audit,
            owned=(),
            departures=(),
            schemas=self.schemas,
        )

    def step(self) -> SignIn:
        """The sign-in step on this world's fakes."""
        return SignIn(
            sessions=self.sessions,
            tokens=self.tokens,
            clock=self.clock,
            policy=self.policy,
            audit=self.audit,
            hook=self.token_hook,
        )

    def passkey_cases(
        self, passkeys: PasskeyRepository, identities: IdentityRepository | None = None
    ) -> Passkeys:
        """The passkeys' use cases over ``passkeys`` and this world's fakes."""
        return Passkeys(
            users=self.users,
            passkeys=passkeys,
            challenges=FakeChallengeRepository(),
            ceremonies=WebAuthnCeremonies(rp_id="localhost", rp_name="firegate"),
            identities=identities if identities is not None else FakeIdentityRepository(self.store),
            sign_in_step=self.step(),
            devices=self.devices,
            clock=self.clock,
            audit=self.audit,
            upgrade=no_upgrade,
            origins=PasskeyOrigins(("http://localhost",)),
        )

    def totp_cases(
        self, factors: MfaRepository | None = None, passkeys: PasskeyRepository | None = None
    ) -> TotpFactors:
        """The authenticator's use cases on this world's fakes as they are now."""
        return TotpFactors(
            users=self.users,
            hasher=self.hasher,
            clock=self.clock,
            throttle=self.throttle,
            throttle_policy=self.throttle_policy,
            audit=self.audit,
            factors=factors if factors is not None else self.factors,
            otp=self.otp,
            box=self.box,
            passkeys=passkeys if passkeys is not None else FakePasskeyRepository(),
            issuer="firegate",
            legacy=self.legacy,
        )

    def logins(self, lookup: LoginLookup | None = None) -> Logins:
        """The password logins' use cases on this world's fakes as they are now (``lookup``:
        another lookup in front of the world's store)."""
        return Logins(
            users=self.users,
            sign_in=self.step(),
            hasher=self.hasher,
            clock=self.clock,
            lookup=lookup if lookup is not None else FakeLoginLookup(self.store, self.throttle),
            throttle=self.throttle,
            throttle_policy=self.throttle_policy,
            devices=self.devices,
            audit=self.audit,
            factors=self.factors,
            otp=self.otp,
            box=self.box,
            challenge_gate=self.challenge_gate,
            passwords=self.passwords(),
            counter=self.request_counter,
            password_changes=self.password_changes,
            legacy=self.legacy,
        )

    def login(
        self, login: str = "alice", password: str = PASSWORD, ip: str = IP, device: str = ""
    ) -> TokenPair:
        return self.logins().login(
            Login(login=login, password=password, client_ip=ip, device_token=device)
        )

    def change_password(self, cmd: ChangePassword) -> None:
        self.logins().change_password(cmd)

    def session_cases(self, users: UserRepository | None = None) -> Sessions:
        """The sessions' use cases on this world's fakes as they are now (``users``: another
        account store in front of the world's)."""
        return Sessions(
            users=users if users is not None else self.users,
            sessions=self.sessions,
            tokens=self.tokens,
            clock=self.clock,
            policy=self.policy,
            audit=self.audit,
            orgs=FakeActiveOrgs(self.store),
            hook=self.token_hook,
        )

    def authenticate(self, token: str) -> Actor:
        authentication = Authentication(
            tokens=self.tokens, principals=self.principals, clock=self.clock
        )
        return authentication.authenticate(Authenticate(token))


class SessionWorld(World):
    def refresh(self, token: str) -> TokenPair:
        return self.session_cases().refresh(Refresh(token))
