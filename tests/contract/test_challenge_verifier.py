"""One suite for the ChallengeVerifier port: the fake, and each provider's adapter against the
tests' local verifier (docs/security.md, "A challenge on signals"): a token it issued passes,
a forged one is invalid, and each verdict the fake can be told to give is one the adapter
gives for a real answer (no verdict: a 429; low score: reCAPTCHA's 0.0; an outage: a 503)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from application.accounts.challenge_gate import ChallengeVerifier, Verdict
from infrastructure.accounts.challenge_providers import (
    RecaptchaEnterpriseChallenge,
    TurnstileChallenge,
)
from tests.fakes.accounts import FakeChallengeVerifier
from tests.support.challenge_verifier import TOO_MANY, Verifier, challenge_verifier, token

pytestmark = pytest.mark.contract
IP = "203.0.113.9"
# Makes the verifier under test give a verdict: told so (the fake), or answered so (the real).
Make = Callable[[Verdict | None], ChallengeVerifier]


@pytest.fixture(scope="module")
def running() -> Iterator[Verifier]:
    with challenge_verifier(hostname="id.example.com") as started:
        yield started


def maker(kind: str, running: Verifier) -> Make:
    if kind == "fake":

        def fake(said: Verdict | None) -> ChallengeVerifier:
            reachable = said is not Verdict.UNREACHABLE
            told = None if said is Verdict.UNREACHABLE else said
            return FakeChallengeVerifier([token("login")], reachable=reachable, said=told)

        return fake

    def real(said: Verdict | None) -> ChallengeVerifier:
        running.down = said is Verdict.UNREACHABLE
        running.instead = TOO_MANY if said is Verdict.NOT_A_VERDICT else None
        running.score = 0.0 if said is Verdict.LOW_SCORE else 0.9
        if kind == "turnstile":
            url = running.url + "/turnstile"
            return TurnstileChallenge(secret="test-secret", hostname="id.example.com", url=url)
        return RecaptchaEnterpriseChallenge(
            api_key="test-secret",
            site_key="site-key",
            hostname="id.example.com",
            url=running.url + "/v1/projects/demo/assessments",
        )

    return real


@pytest.fixture(params=["fake", "turnstile", "recaptcha_enterprise"])
def make(request: pytest.FixtureRequest, running: Verifier) -> Make:
    return maker(request.param, running)


# Turnstile answers success or not, never a score: only the others can say "low score".
@pytest.fixture(params=["fake", "recaptcha_enterprise"])
def scoring(request: pytest.FixtureRequest, running: Verifier) -> Make:
    return maker(request.param, running)


def test_a_token_it_issued_passes_and_a_forged_one_is_invalid(make: Make) -> None:
    verifier = make(None)
    assert verifier.verify(token("login"), action="login", remote_ip=IP) is Verdict.VALID
    assert verifier.verify("forged", action="login", remote_ip=IP) is Verdict.INVALID


@pytest.mark.parametrize("said", [Verdict.NOT_A_VERDICT, Verdict.UNREACHABLE])
def test_no_verdict_and_an_outage(make: Make, said: Verdict) -> None:
    verifier = make(said)
    assert verifier.verify(token("login"), action="login", remote_ip=IP) is said


def test_a_low_score(scoring: Make) -> None:
    verifier = scoring(Verdict.LOW_SCORE)
    assert verifier.verify(token("login"), action="login", remote_ip=IP) is Verdict.LOW_SCORE
