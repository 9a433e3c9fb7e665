"""The second factor's rules on in-memory fakes: enrolment, the two-step login, replay,
skew, recovery codes, the wrong-code budget, the throttle, sessions, the operator reset."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace

import pyotp
import pytest

from application.accounts.address_proof import FirstProof
from application.accounts.admin import SetRole
from application.federation.firebase import Firebase, FirebaseSignIn
from application.federation.linking import Links
from application.signin.authentication import Actor
from application.signin.factors import totp as totp_cases
from application.signin.factors.totp import MfaCommand, ResetMfa, TotpEnrolment
from application.signin.login import Login, LoginRecords
from application.signin.mfa import MfaLogin, hash_recovery_code
from application.signin.tokens import TokenPair
from domain.accounts.users import User
from domain.errors import (
    Conflict,
    MfaRequired,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from domain.federation.acting import firebase_resource
from domain.signin.mfa import MAX_WRONG_CODES, RECOVERY_CODES, TotpFactor
from tests.fakes.federation import FakeCustomTokens, FakeIdentityRepository, FakeIdentityVerifier
from tests.fakes.kernel import InMemoryStore
from tests.fakes.provider import FakeOAuthGrants
from tests.fakes.signin import (
    FakeActiveOrgs,
    FakeLoginLookup,
    FakeLoginThrottle,
    FakeMfaRepository,
    FakePasskeyRepository,
)
from tests.support.api import PASSWORD
from tests.support.use_cases import IP, World, no_upgrade

pytestmark = pytest.mark.unit

FIREBASE_RESOURCE = firebase_resource("http://localhost")


class MfaWorld(World):
    def __init__(self) -> None:
        super().__init__()
        self.identities = FakeIdentityRepository(self.store)
        self.verifier = FakeIdentityVerifier()
        self.secret = ""
        self.session_id = ""
        # Tests step the clock forward from here; PyJWT checks token times on the real one.
        self.clock.advance(seconds=-150)

    def start(self, cmd: MfaCommand) -> TotpEnrolment:
        return self.totp_cases().start(cmd)

    def confirm(self, cmd: MfaCommand) -> tuple[str, ...]:
        return self.totp_cases().confirm(cmd)

    def disable(self, cmd: MfaCommand) -> None:
        self.totp_cases().disable(cmd)

    def regenerate(self, cmd: MfaCommand) -> tuple[str, ...]:
        return self.totp_cases().new_recovery_codes(cmd)

    def code(self, offset_steps: int = 0) -> str:
        return pyotp.TOTP(self.secret).at(self.clock.now(), counter_offset=offset_steps)

    def cmd(self, *, password: str = "", code: str = "") -> MfaCommand:
        user_id = next(iter(self.store.users))
        return MfaCommand(
            user_id=user_id,
            session_id=self.session_id,
            password=password,
            code=code,
            client_ip=IP,
            recent_sign_in=True,  # Alice signed in just now
        )

    def enrol(self) -> tuple[str, ...]:
        """Alice, signed in, turns TOTP on; the recovery codes."""
        pair = self.login()
        self.session_id = self.authenticate(pair.access_token).session_id
        self.secret = self.start(self.cmd(password=PASSWORD)).secret
        codes = self.confirm(self.cmd(code=self.code()))
        self.clock.advance(seconds=30)  # the confirming code is spent: the next step's
        return codes

    def first_step(self, password: str = PASSWORD, device: str = "") -> MfaRequired:
        with pytest.raises(MfaRequired) as info:
            self.login(password=password, device=device)
        return info.value

    def second_step(
        self, token: str, *, code: str | None = None, recovery_code: str | None = None
    ) -> TokenPair:
        return self.logins().finish_mfa(
            MfaLogin(mfa_token=token, code=code, recovery_code=recovery_code, client_ip=IP)
        )


class CountingFactors(FakeMfaRepository):
    def __init__(self, store: InMemoryStore) -> None:
        super().__init__(store)
        self.reads = 0

    def get(self, user_id: str) -> TotpFactor | None:
        self.reads += 1
        return super().get(user_id)


@pytest.fixture
def world() -> MfaWorld:
    w = MfaWorld()
    w.register("alice")
    return w


def test_two_step_login_gives_a_pair_with_pwd_and_otp(world: MfaWorld) -> None:
    codes = world.enrol()
    assert len(codes) == RECOVERY_CODES and len(set(codes)) == RECOVERY_CODES
    challenge = world.first_step()
    assert challenge.code == "mfa_required" and challenge.methods == ("totp", "recovery_code")
    pair = world.second_step(challenge.mfa_token, code=world.code())
    assert world.authenticate(pair.access_token).amr == ("pwd", "otp")
    assert pair.device_token  # issued now, after the second step


def test_no_device_token_and_no_session_before_the_second_step(world: MfaWorld) -> None:
    world.enrol()
    sessions_before = set(world.store.sessions)
    world.first_step()
    assert set(world.store.sessions) == sessions_before


def test_the_mfa_token_is_stored_only_as_its_hash(world: MfaWorld) -> None:
    world.enrol()
    token = world.first_step().mfa_token
    assert token not in world.store.challenges
    assert hashlib.sha256(token.encode()).hexdigest() in world.store.challenges


def test_the_secret_is_stored_sealed(world: MfaWorld) -> None:
    world.enrol()
    stored = next(iter(world.store.factors.values()))
    assert world.secret not in stored.secret
    assert world.box.open(stored.secret) == world.secret


def test_a_code_works_once(world: MfaWorld) -> None:
    world.enrol()
    code = world.code()
    world.second_step(world.first_step().mfa_token, code=code)
    with pytest.raises(Unauthenticated) as info:
        world.second_step(world.first_step().mfa_token, code=code)
    assert info.value.code == "invalid_mfa_code"


def test_a_replayed_code_does_not_spend_the_mfa_token(world: MfaWorld) -> None:
    world.enrol()
    code = world.code()
    world.second_step(world.first_step().mfa_token, code=code)
    token = world.first_step().mfa_token
    with pytest.raises(Unauthenticated):
        world.second_step(token, code=code)
    assert world.second_step(token, code=world.code(+1)).access_token


def test_an_older_step_is_refused_after_a_newer_one(world: MfaWorld) -> None:
    world.enrol()
    world.second_step(world.first_step().mfa_token, code=world.code(+1))
    with pytest.raises(Unauthenticated):  # the current step is before the one accepted
        world.second_step(world.first_step().mfa_token, code=world.code())


@pytest.mark.parametrize(("offset", "accepted"), [(-1, True), (1, True), (-2, False), (2, False)])
def test_one_step_of_skew(world: MfaWorld, offset: int, accepted: bool) -> None:
    world.enrol()
    world.clock.advance(seconds=90)  # well past the steps the enrolment used
    token = world.first_step().mfa_token
    if accepted:
        assert world.second_step(token, code=world.code(offset)).access_token
    else:
        with pytest.raises(Unauthenticated):
            world.second_step(token, code=world.code(offset))


def test_a_wrong_code_does_not_spend_the_token(world: MfaWorld) -> None:
    world.enrol()
    token = world.first_step().mfa_token
    with pytest.raises(Unauthenticated) as info:
        world.second_step(token, code=world.code(5))
    assert info.value.code == "invalid_mfa_code"
    assert world.second_step(token, code=world.code()).access_token


def test_the_token_is_single_use(world: MfaWorld) -> None:
    world.enrol()
    token = world.first_step().mfa_token
    world.second_step(token, code=world.code())
    world.clock.advance(seconds=30)
    with pytest.raises(Unauthenticated) as info:
        world.second_step(token, code=world.code())
    assert info.value.code == "invalid_mfa_token"


def test_five_wrong_codes_void_the_token(world: MfaWorld) -> None:
    world.enrol()
    token = world.first_step().mfa_token
    for _ in range(MAX_WRONG_CODES):
        with pytest.raises(Unauthenticated) as info:
            world.second_step(token, code="000000" if world.code() != "000000" else "111111")
        assert info.value.code == "invalid_mfa_code"
    with pytest.raises(Unauthenticated) as info:
        world.second_step(token, code=world.code())
    assert info.value.code == "invalid_mfa_token"


def test_the_token_expires_after_five_minutes(world: MfaWorld) -> None:
    world.enrol()
    token = world.first_step().mfa_token
    world.clock.advance(minutes=5)
    with pytest.raises(Unauthenticated) as info:
        world.second_step(token, code=world.code())
    assert info.value.code == "invalid_mfa_token"


@pytest.mark.parametrize("token", ["", "x", "a" * 43, "a" * 200])
def test_unknown_tokens(world: MfaWorld, token: str) -> None:
    with pytest.raises(Unauthenticated) as info:
        world.second_step(token, code="123456")
    assert info.value.code == "invalid_mfa_token"


def test_wrong_codes_count_in_the_login_throttle(world: MfaWorld) -> None:
    world.enrol()
    wrong = "000000" if world.code() != "000000" else "111111"
    for _ in range(2):  # two challenges: ten wrong codes, the per-account-and-address budget
        token = world.first_step().mfa_token
        for _ in range(MAX_WRONG_CODES):
            with pytest.raises(Unauthenticated):
                world.second_step(token, code=wrong)
    with pytest.raises(RateLimited):
        world.login()  # the right password cannot clear the failures the codes counted


def test_a_wrong_password_is_the_plain_answer_and_reads_no_factor(world: MfaWorld) -> None:
    world.enrol()
    world.factors = counting = CountingFactors(world.store)
    with pytest.raises(Unauthenticated) as info:
        world.login(password="wrong password!")
    assert info.value.code == "invalid_credentials" and not isinstance(info.value, MfaRequired)
    assert counting.reads == 0 and world.store.challenges == {}


def test_a_recovery_code_works_once(world: MfaWorld) -> None:
    codes = world.enrol()
    pair = world.second_step(world.first_step().mfa_token, recovery_code=codes[0].upper())
    assert world.authenticate(pair.access_token).amr == ("pwd", "otp")
    with pytest.raises(Unauthenticated) as info:
        world.second_step(world.first_step().mfa_token, recovery_code=codes[0])
    assert info.value.code == "invalid_mfa_code"
    assert world.second_step(world.first_step().mfa_token, recovery_code=codes[1])


def test_recovery_codes_are_stored_as_hashes_of_at_least_50_bits(world: MfaWorld) -> None:
    codes = world.enrol()
    stored = next(iter(world.store.factors.values()))
    assert all(code not in stored.recovery_hashes for code in codes)
    user_id = stored.user_id
    assert stored.recovery_hashes == tuple(hash_recovery_code(user_id, c) for c in codes)
    assert all(len(code.replace("-", "")) * 5 >= 50 for code in codes)  # base32: 5 bits each


def test_turning_mfa_on_ends_every_other_session(world: MfaWorld) -> None:
    other = world.login()
    world.enrol()
    current = next(s for s in world.store.sessions.values() if s.id == world.session_id)
    with pytest.raises(Unauthenticated):
        world.authenticate(other.access_token)
    user = next(iter(world.store.users.values()))
    assert current.token_version == user.token_version  # the current session lives on


def test_turning_mfa_off_needs_password_and_code_and_ends_other_sessions(
    world: MfaWorld,
) -> None:
    codes = world.enrol()
    other = world.second_step(world.first_step().mfa_token, code=world.code())
    with pytest.raises(PermissionDenied) as info:
        world.disable(world.cmd(password="wrong password!", code=codes[0]))
    assert info.value.code == "invalid_current_password"
    with pytest.raises(PermissionDenied) as info:
        world.disable(world.cmd(password=PASSWORD, code="zzzz-zzzz-zzzz"))
    assert info.value.code == "invalid_mfa_code"
    world.disable(world.cmd(password=PASSWORD, code=codes[0]))
    assert world.store.factors == {}
    with pytest.raises(Unauthenticated):
        world.authenticate(other.access_token)
    assert world.login().access_token  # one step again


def test_new_recovery_codes_void_the_old_set(world: MfaWorld) -> None:
    old = world.enrol()
    new = world.regenerate(world.cmd(password=PASSWORD, code=world.code()))
    assert set(new).isdisjoint(old)
    with pytest.raises(Unauthenticated):
        world.second_step(world.first_step().mfa_token, recovery_code=old[1])
    assert world.second_step(world.first_step().mfa_token, recovery_code=new[0])


def test_the_status_of_the_authenticator(world: MfaWorld) -> None:
    """What the account page shows: off, pending until the first code, on with the
    recovery codes left."""
    alice = world.authenticate(world.login().access_token)

    def status() -> totp_cases.TotpStatus:
        return world.totp_cases().status(totp_cases.GetTotp(alice))

    assert status() == totp_cases.TotpStatus("off")
    world.session_id = alice.session_id
    world.secret = world.start(world.cmd(password=PASSWORD)).secret
    assert status() == totp_cases.TotpStatus("pending")
    codes = world.confirm(world.cmd(code=world.code()))
    assert status() == totp_cases.TotpStatus("on", RECOVERY_CODES)
    world.second_step(world.first_step().mfa_token, recovery_code=codes[0])
    assert status() == totp_cases.TotpStatus("on", RECOVERY_CODES - 1)


def test_enrolment_rules(world: MfaWorld) -> None:
    world.enrol()
    with pytest.raises(Conflict) as info:
        world.start(world.cmd(password=PASSWORD))
    assert info.value.code == "mfa_already_enabled"
    with pytest.raises(Conflict) as info:
        world.confirm(world.cmd(code=world.code()))
    assert info.value.code == "mfa_not_pending"


def test_a_pending_enrolment_does_not_guard_login(world: MfaWorld) -> None:
    world.session_id = world.authenticate(world.login().access_token).session_id
    enrolment = world.start(world.cmd(password=PASSWORD))
    assert enrolment.otpauth_uri.startswith("otpauth://totp/firegate:alice?")
    assert world.login().access_token
    with pytest.raises(PermissionDenied) as info:
        world.confirm(world.cmd(code="12345a"))
    assert info.value.code == "invalid_mfa_code"


def wrong_code(world: MfaWorld) -> str:
    """Six digits that no step within the skew accepts: well formed, and wrong."""
    near = {world.code(offset) for offset in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def test_confirming_with_a_wrong_code_of_the_right_shape_is_refused(world: MfaWorld) -> None:
    world.session_id = world.authenticate(world.login().access_token).session_id
    world.secret = world.start(world.cmd(password=PASSWORD)).secret
    with pytest.raises(PermissionDenied) as info:
        world.confirm(world.cmd(code=wrong_code(world)))
    assert info.value.code == "invalid_mfa_code"
    factor = next(iter(world.store.factors.values()))
    assert not factor.active and factor.recovery_hashes == ()
    assert world.login().access_token  # still one step
    assert len(world.confirm(world.cmd(code=world.code()))) == RECOVERY_CODES


def test_turning_mfa_off_with_a_code_from_the_app(world: MfaWorld) -> None:
    world.enrol()
    world.disable(world.cmd(password=PASSWORD, code=world.code()))
    assert world.store.factors == {}
    assert world.login().access_token  # one step again


def test_new_recovery_codes_need_the_password_and_a_right_code(world: MfaWorld) -> None:
    old = world.enrol()
    with pytest.raises(PermissionDenied) as info:
        world.regenerate(world.cmd(password="wrong password!", code=world.code()))
    assert info.value.code == "invalid_current_password"
    with pytest.raises(PermissionDenied) as info:
        world.regenerate(world.cmd(password=PASSWORD, code=wrong_code(world)))
    assert info.value.code == "invalid_mfa_code"
    stored = next(iter(world.store.factors.values()))
    assert stored.recovery_hashes == tuple(hash_recovery_code(stored.user_id, c) for c in old)


@pytest.mark.parametrize("use_case", ["disable", "regenerate"])
def test_wrong_codes_behind_the_right_password_count_in_the_login_throttle(
    world: MfaWorld, use_case: str
) -> None:
    """The right password must not clear what the wrong codes counted, as at login."""
    world.enrol()
    act = getattr(world, use_case)
    for _ in range(world.throttle_policy.per_account_ip.max_failures):
        with pytest.raises(PermissionDenied) as info:
            act(world.cmd(password=PASSWORD, code=wrong_code(world)))
        assert info.value.code == "invalid_mfa_code"
    with pytest.raises(RateLimited) as blocked:
        act(world.cmd(password=PASSWORD, code=world.code()))
    assert blocked.value.code == "too_many_login_failures"
    assert world.store.factors  # still on


def test_a_right_code_clears_the_failures_of_the_callers_session(world: MfaWorld) -> None:
    world.enrol()
    for _ in range(world.throttle_policy.per_account_ip.max_failures - 1):
        with pytest.raises(PermissionDenied):
            world.regenerate(world.cmd(password=PASSWORD, code=wrong_code(world)))
    world.regenerate(world.cmd(password=PASSWORD, code=world.code()))
    world.clock.advance(seconds=30)
    with pytest.raises(PermissionDenied):  # counted from zero again: not blocked
        world.regenerate(world.cmd(password=PASSWORD, code=wrong_code(world)))
    world.disable(world.cmd(password=PASSWORD, code=world.code()))


def test_firebase_asks_for_the_second_factor(world: MfaWorld) -> None:
    for claims in (world.store.users, world.store.usernames, world.store.emails):
        claims.clear()  # alice signs up through Firebase instead
    token = world.verifier.issue("uid-1", email="alice@example.com", display_name="alice")

    def sign_in() -> TokenPair:
        passkeys = FakePasskeyRepository()
        firebase = Firebase(
            verifier=world.verifier,
            links=Links(
                identities=world.identities,
                users=world.users,
                factors=world.factors,
                first_proof=FirstProof(
                    passkeys=passkeys,
                    factors=world.factors,
                    identities=world.identities,
                    grants=FakeOAuthGrants(world.store),
                    audit=world.audit,
                ),
                clock=world.clock,
                audit=world.audit,
                registered=lambda _user, _provider: None,
                upgrade=no_upgrade,  # no guest here
            ),
            sign_in_step=world.step(),
            users=world.users,
            minter=FakeCustomTokens(),
            orgs=FakeActiveOrgs(world.store),
            agent_resource=FIREBASE_RESOURCE,
        )
        return firebase.sign_in(FirebaseSignIn(id_token=token))

    world.session_id = world.authenticate(sign_in().access_token).session_id
    with pytest.raises(PermissionDenied):  # a password-less account cannot pass the gate
        world.start(world.cmd(password="x"))
    # A factor enrolled otherwise (this account has no password): the exchange asks for it.
    user = next(iter(world.store.users.values()))
    world.secret = world.otp.new_secret()
    world.store.factors[user.id] = replace(
        TotpFactor.pending(
            user_id=user.id, sealed_secret=world.box.seal(world.secret), now=world.clock.now()
        ),
        active=True,
    )
    with pytest.raises(MfaRequired) as info:
        sign_in()
    pair = world.second_step(info.value.mfa_token, code=world.code())
    assert world.authenticate(pair.access_token).amr == ("fed", "otp")
    assert pair.device_token is None


def reset_mfa(world: MfaWorld, username: str) -> User:
    return world.totp_cases().reset(ResetMfa(username))


def test_reset_mfa_removes_the_factor_and_ends_every_session(world: MfaWorld) -> None:
    world.enrol()
    pair = world.second_step(world.first_step().mfa_token, code=world.code())
    user = reset_mfa(world, "ALICE")
    assert user.shown_name == "alice" and world.store.factors == {}
    with pytest.raises(Unauthenticated):
        world.authenticate(pair.access_token)
    assert world.login().access_token
    assert world.audit.events[-2].event.value == "mfa_disabled"
    with pytest.raises(NotFound):
        reset_mfa(world, "nobody")


def test_an_admin_resets_mfa_by_id_and_is_the_audited_actor(world: MfaWorld) -> None:
    world.enrol()
    alice = next(iter(world.store.users.values()))
    world.register("root")
    world.admin_cases().set_role(SetRole("root", "admin"))
    root = world.authenticate(world.login("root").access_token)
    world.register("bob")
    bob = world.authenticate(world.login("bob").access_token)

    def reset(actor: Actor, user_id: str) -> User:
        return world.totp_cases().reset(ResetMfa(actor=actor, user_id=user_id))

    with pytest.raises(PermissionDenied):
        reset(bob, alice.id)
    assert alice.id in world.store.factors
    assert reset(root, alice.id).id == alice.id and world.store.factors == {}
    event = world.audit.events[-1]
    assert (event.event.value, event.user_id, event.actor_id, event.reason) == (
        "mfa_disabled",
        alice.id,
        root.user_id,
        "reset",
    )
    with pytest.raises(NotFound):
        reset(root, "no-such-user")


def test_every_step_is_audited(world: MfaWorld) -> None:
    world.enrol()
    token = world.first_step().mfa_token
    with pytest.raises(Unauthenticated):
        world.second_step(token, code="000000" if world.code() != "000000" else "111111")
    world.second_step(token, code=world.code())
    events = [(e.event.value, e.outcome) for e in world.audit.events]
    for expected in [
        ("mfa_enrolment", "success"),
        ("mfa_enabled", "success"),
        ("mfa_challenge", "success"),
        ("mfa_code", "failure"),
        ("mfa_code", "success"),
    ]:
        assert expected in events
    assert events[-1] == ("login", "success")


class CountingLookup(FakeLoginLookup):
    def __init__(self, store: InMemoryStore, throttle: FakeLoginThrottle) -> None:
        super().__init__(store, throttle)
        self.calls: list[str] = []

    def load(self, login_key: str, throttle_keys: Sequence[str]) -> LoginRecords:
        self.calls.append("load")
        return super().load(login_key, throttle_keys)

    def user(self, user_id: str | None) -> User | None:
        self.calls.append("user")
        return super().user(user_id)


def test_an_account_without_mfa_logs_in_in_one_step_with_the_same_reads(
    world: MfaWorld,
) -> None:
    """Without a factor, login is what it is without MFA: the two round trips of the lookup
    before the hash, one read of the (absent) factor after it, then the pair."""
    lookup = CountingLookup(world.store, world.throttle)
    world.factors = counting = CountingFactors(world.store)
    pair = world.logins(lookup).login(Login(login="alice", password=PASSWORD, client_ip=IP))
    assert lookup.calls == ["load", "user"] and counting.reads == 1
    assert world.store.challenges == {}
    assert world.authenticate(pair.access_token).amr == ("pwd",)
    assert pair.device_token
    assert [e.event.value for e in world.audit.events][-1] == "login"
    assert not any(e.event.value.startswith("mfa") for e in world.audit.events)


class LateFactorRead(FakeMfaRepository):
    """Runs ``meanwhile`` once, just before the first factor read: another request with the
    same ``mfa_token`` and code finishes between this one's challenge read and its factor
    read, as happens when thirty race."""

    def __init__(self, store: InMemoryStore, meanwhile: Callable[[], object]) -> None:
        super().__init__(store)
        self.meanwhile: Callable[[], object] | None = meanwhile

    def get(self, user_id: str) -> TotpFactor | None:
        if self.meanwhile is not None:
            run, self.meanwhile = self.meanwhile, None
            run()
        return super().get(user_id)


def test_a_racer_that_loses_to_its_own_code_is_told_the_token_is_spent(
    world: MfaWorld,
) -> None:
    world.enrol()
    token, code = world.first_step().mfa_token, world.code()
    winners: list[TokenPair] = []
    world.factors = LateFactorRead(
        world.store, lambda: winners.append(world.second_step(token, code=code))
    )
    with pytest.raises(Unauthenticated) as info:
        world.second_step(token, code=code)
    assert winners and winners[0].access_token
    # The token is what was lost, not a wrong guess: nothing counted against the account.
    assert info.value.code == "invalid_mfa_token"
    assert not [e for e in world.audit.events if e.outcome == "failure"]
