"""The challenge on signals (docs/security.md, "A challenge on signals"): asked only when a
signal fires, a token verified by the provider and spent once, fail open or closed, and the
signals of a login's throttle records and of sign-ups from one address."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.accounts.challenge_gate import (
    Challenged,
    ChallengePolicy,
    Signal,
    Verdict,
)
from application.accounts.signups import Register
from application.ports import Audit
from application.signin.login import Login, challenge_signal
from domain.errors import ChallengeRequired, InvalidInput, Unauthenticated, Unavailable
from domain.signin.throttling import FailureRecord, LoginThrottlePolicy
from infrastructure.metrics.prometheus import PrometheusMetrics
from infrastructure.request_counts import InMemoryRequestCounter
from tests.fakes.accounts import FakeChallengeVerifier
from tests.support.api import PASSWORD
from tests.support.metrics import samples
from tests.support.use_cases import IP, World

pytestmark = pytest.mark.unit

ON = ChallengePolicy(provider="turnstile", site_key="site-key", failures_per_hour=20)
PASSES = "a token the provider passes"


def asked(world: World) -> list[str | None]:
    return [e.reason for e in world.audit.events if e.event is Audit.SIGNIN_CHALLENGED]


def verifications(metrics: PrometheusMetrics) -> dict[str, float]:
    found = samples(metrics.exposition().decode())
    prefix = "firegate_challenge_verifications_total"
    return {k.split('"')[1]: v for k, v in found.items() if k.startswith(prefix + "{")}


def test_nothing_is_asked_without_a_signal_nor_without_a_provider() -> None:
    world = World()
    verifier = FakeChallengeVerifier()
    world.gate(ON, verifier).check(Challenged(None, "", "login", IP))
    world.gate(ChallengePolicy(), verifier).check(
        Challenged(Signal.ACCOUNT_THROTTLE, "", "login", IP)
    )
    assert verifier.asked == [] and asked(world) == []


def test_a_signal_asks_for_the_challenge_with_the_provider_and_its_site_key() -> None:
    world = World()
    with pytest.raises(ChallengeRequired) as raised:
        world.gate(ON).check(Challenged(Signal.ADDRESS_FAILURES, "", "login", IP, "u1"))
    assert (raised.value.code, raised.value.provider, raised.value.site_key) == (
        "challenge_required",
        "turnstile",
        "site-key",
    )
    assert isinstance(raised.value, Unauthenticated)  # a 401
    assert asked(world) == ["address_failures"]
    assert world.audit.events[-1].user_id == "u1"


def test_a_valid_token_passes_once_and_its_replay_is_refused() -> None:
    world, metrics = World(), PrometheusMetrics()
    verifier = FakeChallengeVerifier([PASSES])
    gate = world.gate(ON, verifier, metrics=metrics)
    gate.check(Challenged(Signal.SIGNUPS, PASSES, "register", IP))
    with pytest.raises(ChallengeRequired):
        gate.check(Challenged(Signal.SIGNUPS, PASSES, "register", IP))
    assert verifier.asked == [(PASSES, "register", IP)]  # the replay never reached it
    assert verifications(metrics) == {"passed": 1, "replayed": 1}


def test_a_token_the_provider_refuses_asks_again() -> None:
    world, metrics = World(), PrometheusMetrics()
    gate = world.gate(ON, FakeChallengeVerifier([PASSES]), metrics=metrics)
    with pytest.raises(ChallengeRequired):
        gate.check(Challenged(Signal.ACCOUNT_THROTTLE, "made up", "login", IP))
    assert verifications(metrics) == {"invalid": 1}


def test_an_unreachable_verifier_fails_open_or_closed_as_configured_and_is_counted() -> None:
    world, metrics = World(), PrometheusMetrics()
    down = FakeChallengeVerifier([PASSES], reachable=False)
    world.gate(ON, down, metrics=metrics).check(Challenged(Signal.SIGNUPS, "t1", "register", IP))
    closed = ChallengePolicy(provider="turnstile", site_key="k", fail_open=False)
    with pytest.raises(Unavailable) as raised:
        world.gate(closed, down, metrics=metrics).check(
            Challenged(Signal.SIGNUPS, "t2", "register", IP)
        )
    assert raised.value.code == "challenge_unavailable"
    assert verifications(metrics) == {"failed_open": 1, "failed_closed": 1}


@pytest.mark.parametrize("said", [Verdict.NOT_A_VERDICT, Verdict.LOW_SCORE, Verdict.INVALID])
@pytest.mark.parametrize("fail_open", [True, False])
def test_anything_but_a_passing_verdict_asks_again_whatever_challenge_fail_says(
    said: Verdict, fail_open: bool
) -> None:
    """A 429, an HTML page, JSON of another shape (NOT_A_VERDICT) or a score under the
    minimum (LOW_SCORE) is a refusal, never an outage: CHALLENGE_FAIL=open does not pass it."""
    world, metrics = World(), PrometheusMetrics()
    policy = ChallengePolicy(provider="turnstile", site_key="k", fail_open=fail_open)
    gate = world.gate(policy, FakeChallengeVerifier([PASSES], said=said), metrics=metrics)
    for n in range(20):
        with pytest.raises(ChallengeRequired):
            gate.check(Challenged(Signal.SIGNUPS, f"{PASSES} {n}", "register", IP))
    assert verifications(metrics) == {said.value: 20}
    assert asked(world) == ["signups"] * 20


def test_an_outage_lets_a_scope_through_a_few_times_an_hour_then_refuses() -> None:
    """CHALLENGE_FAIL=open lets CHALLENGE_FAIL_OPEN_PER_HOUR requests of a client address
    (an IPv6 /64 as one) through unchecked in an hour; the rest are 503 as with closed."""
    world, metrics = World(), PrometheusMetrics()
    policy = ChallengePolicy(provider="turnstile", site_key="k", fail_open_per_hour=3)
    down = FakeChallengeVerifier(reachable=False)
    gate = world.gate(policy, down, InMemoryRequestCounter(), metrics=metrics)

    def check(ip: str, n: int) -> None:
        gate.check(Challenged(Signal.ADDRESS_FAILURES, f"token {ip} {n}", "login", ip))

    for n in range(3):
        check("2001:db8::1", n)
    with pytest.raises(Unavailable) as refused:
        check("2001:db8::2", 3)  # the same /64
    assert refused.value.code == "challenge_unavailable"
    for n in range(3):
        check("203.0.113.5", n)  # another address: its own passes
    world.clock.advance(seconds=3600)
    check("2001:db8::3", 4)  # the next hour
    assert verifications(metrics) == {"failed_open": 7, "fail_open_spent": 1}


def test_sign_ups_from_one_address_past_the_hourly_number_are_challenged() -> None:
    world = World()
    world.challenge_gate = world.gate(
        ChallengePolicy(provider="turnstile", site_key="k", signups_per_hour=2),
        FakeChallengeVerifier([PASSES]),
        InMemoryRequestCounter(),
    )
    accounts = world.account_cases()

    def sign_up(n: int, ip: str, token: str = "") -> None:
        accounts.register(
            Register(
                f"user{n}", f"user{n}@example.com", PASSWORD, client_ip=ip, challenge_token=token
            )
        )

    sign_up(1, "203.0.113.5")
    sign_up(2, "203.0.113.5")
    with pytest.raises(ChallengeRequired):
        sign_up(3, "203.0.113.5")
    sign_up(4, "2001:db8::1")  # another address: its own count
    sign_up(5, "203.0.113.5", PASSES)
    assert len(world.store.usernames) == 4  # not the third
    assert asked(world) == ["signups"]


def test_the_signals_of_a_logins_throttle_records() -> None:
    now = World().clock.now()
    rules = LoginThrottlePolicy().rules_for("alice", IP)
    account_ip, account, address = (key for key, _ in rules)

    def signal(**failures: int) -> Signal | None:
        keys = {"account_ip": account_ip, "account": account, "ip": address}
        records = {keys[name]: FailureRecord(n, now) for name, n in failures.items()}
        return challenge_signal(records, rules, now, 20)

    assert signal() is None
    assert signal(account_ip=4, account=49, ip=19) is None
    assert signal(account_ip=5) is Signal.ACCOUNT_THROTTLE  # half of 10
    assert signal(account=50) is Signal.ACCOUNT_THROTTLE  # half of 100
    assert signal(ip=20) is Signal.ADDRESS_FAILURES
    # A window that has ended counts for nothing.
    stale = {account_ip: FailureRecord(9, now - timedelta(minutes=16))}
    assert challenge_signal(stale, rules, now, 20) is None


def test_a_person_who_mistypes_a_few_times_is_never_challenged() -> None:
    world = World()
    world.register("alice")
    world.challenge_gate = world.gate(ON, FakeChallengeVerifier([PASSES]))
    for _ in range(4):
        with pytest.raises(Unauthenticated) as raised:
            world.login(password="not the password")
        assert raised.value.code == "invalid_credentials"
    assert world.login().access_token
    assert asked(world) == []


def test_an_account_at_half_its_budget_is_challenged_until_a_token_passes() -> None:
    world = World()
    world.register("alice")
    world.challenge_gate = world.gate(ON, FakeChallengeVerifier([PASSES]))
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            world.login(password="not the password")
    with pytest.raises(ChallengeRequired):
        world.login()  # even the right password, without the challenge
    login = Login(login="alice", password=PASSWORD, client_ip=IP, challenge_token=PASSES)
    assert world.logins().login(login).access_token
    assert asked(world) == ["account_throttle"]


def test_a_challenged_sign_up_still_says_what_is_wrong_once_it_passes() -> None:
    world = World()
    world.challenge_gate = world.gate(
        ChallengePolicy(provider="turnstile", site_key="k", signups_per_hour=1),
        FakeChallengeVerifier([PASSES]),
    )
    accounts = world.account_cases()
    accounts.register(Register("bob", "bob@example.com", PASSWORD, client_ip=IP))
    with pytest.raises(InvalidInput):
        accounts.register(
            Register("carol", "carol@example.com", "short", client_ip=IP, challenge_token=PASSES)
        )
