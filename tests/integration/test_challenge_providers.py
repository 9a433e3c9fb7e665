"""The challenge's providers against a local verifier that answers as Turnstile's
siteverify and reCAPTCHA Enterprise's createAssessment do (docs/security.md, "A challenge on
signals"): what each sends, a token valid only on this site's host and for the action (and
for reCAPTCHA, with a score at least the minimum), an answer that is no verdict refused, and
only an outage unreachable."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from application.accounts.challenge_gate import ChallengeVerifier, Verdict
from infrastructure.accounts.challenge_providers import (
    RecaptchaEnterpriseChallenge,
    TurnstileChallenge,
)
from tests.support.challenge_verifier import (
    BAD_GATEWAY,
    HTML_PAGE,
    ODD_JSON,
    TOO_MANY,
    Instead,
    Verifier,
    challenge_verifier,
    token,
)
from tests.support.servers import free_port

pytestmark = pytest.mark.integration
IP = "203.0.113.9"
Provider = Callable[..., ChallengeVerifier]


@pytest.fixture(scope="module")
def running() -> Iterator[Verifier]:
    with challenge_verifier(hostname="id.example.com") as started:
        yield started


@pytest.fixture
def verifier(running: Verifier) -> Verifier:
    """The module's verifier, answering verdicts again (a server each takes 0.5 s to stop)."""
    running.down, running.instead, running.score = False, None, 0.9
    running.asked.clear()
    return running


def turnstile(verifier: Verifier, hostname: str = "id.example.com") -> TurnstileChallenge:
    return TurnstileChallenge(
        secret="test-secret", hostname=hostname, url=verifier.url + "/turnstile"
    )


def recaptcha(
    verifier: Verifier, hostname: str = "id.example.com", min_score: float = 0.5
) -> RecaptchaEnterpriseChallenge:
    return RecaptchaEnterpriseChallenge(
        api_key="test-secret",
        site_key="site-key",
        hostname=hostname,
        url=verifier.url + "/v1/projects/demo/assessments",
        min_score=min_score,
    )


def test_turnstile_sends_secret_response_and_remoteip(verifier: Verifier) -> None:
    assert turnstile(verifier).verify(token("login"), action="login", remote_ip=IP) is Verdict.VALID
    assert verifier.asked == [
        {"kind": "turnstile", "secret": "test-secret", "response": token("login"), "remoteip": IP}
    ]


def test_recaptcha_creates_an_assessment_with_the_api_key(verifier: Verifier) -> None:
    verdict = recaptcha(verifier).verify(token("register"), action="register", remote_ip=IP)
    assert verdict is Verdict.VALID
    assert verifier.asked == [
        {
            "kind": "recaptcha",
            "path": "/v1/projects/demo/assessments",
            "key": "test-secret",
            "token": token("register"),
            "siteKey": "site-key",
            "expectedAction": "register",
            "userIpAddress": IP,
        }
    ]


@pytest.mark.parametrize("provider", [turnstile, recaptcha])
def test_a_token_of_another_action_or_site_or_none_of_the_providers_is_invalid(
    verifier: Verifier, provider: Provider
) -> None:
    make = provider
    assert make(verifier).verify(token("register"), action="login", remote_ip=IP) is Verdict.INVALID
    other_site = make(verifier, hostname="elsewhere.example")
    assert other_site.verify(token("login"), action="login", remote_ip=IP) is Verdict.INVALID
    assert make(verifier).verify("forged", action="login", remote_ip=IP) is Verdict.INVALID


@pytest.mark.parametrize("provider", [turnstile, recaptcha])
def test_a_verifier_that_is_down_or_gone_is_unreachable(
    verifier: Verifier, provider: Provider
) -> None:
    make = provider
    verifier.down = True
    assert (
        make(verifier).verify(token("login"), action="login", remote_ip=IP) is Verdict.UNREACHABLE
    )
    gone = Verifier(url=f"http://127.0.0.1:{free_port()}", hostname="id.example.com")
    assert make(gone).verify(token("login"), action="login", remote_ip=IP) is Verdict.UNREACHABLE


@pytest.mark.parametrize("provider", [turnstile, recaptcha])
@pytest.mark.parametrize(
    "instead",
    [
        TOO_MANY,
        HTML_PAGE,
        ODD_JSON,
        Instead(200, "application/json", "[true]"),
        Instead(200, "application/json", '{"success": "true", "tokenProperties": {"valid": 1}}'),
        Instead(403, "application/json", '{"error": {"code": 403}}'),
        Instead(404, "text/html", "<p>Not found</p>"),
        Instead(302, "text/html", ""),
    ],
    ids=["429", "html", "odd-json", "json-list", "strings-for-booleans", "403", "404", "302"],
)
def test_an_answer_that_is_no_verdict_is_not_a_pass(
    verifier: Verifier, provider: Provider, instead: Instead
) -> None:
    verifier.instead = instead
    verdict = provider(verifier).verify(token("login"), action="login", remote_ip=IP)
    assert verdict is Verdict.NOT_A_VERDICT


@pytest.mark.parametrize("provider", [turnstile, recaptcha])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_is_an_outage(verifier: Verifier, provider: Provider, status: int) -> None:
    verifier.instead = Instead(status, BAD_GATEWAY.content_type, BAD_GATEWAY.body)
    verdict = provider(verifier).verify(token("login"), action="login", remote_ip=IP)
    assert verdict is Verdict.UNREACHABLE


def test_turnstiles_internal_error_is_an_outage(verifier: Verifier) -> None:
    verifier.instead = Instead(
        200, "application/json", '{"success": false, "error-codes": ["internal-error"]}'
    )
    verdict = turnstile(verifier).verify(token("login"), action="login", remote_ip=IP)
    assert verdict is Verdict.UNREACHABLE


@pytest.mark.parametrize(
    ("score", "verdict"),
    [
        (0.0, Verdict.LOW_SCORE),
        (0.49, Verdict.LOW_SCORE),
        (0.5, Verdict.VALID),
        (0.9, Verdict.VALID),
        (None, Verdict.NOT_A_VERDICT),  # no riskAnalysis: nothing was scored
    ],
)
def test_recaptchas_score_must_reach_the_minimum(
    verifier: Verifier, score: float | None, verdict: Verdict
) -> None:
    verifier.score = score
    said = recaptcha(verifier).verify(token("login"), action="login", remote_ip=IP)
    assert said is verdict


def test_a_low_score_does_not_make_a_forged_token_anything_but_invalid(
    verifier: Verifier,
) -> None:
    verifier.score = 0.0
    assert recaptcha(verifier).verify("forged", action="login", remote_ip=IP) is Verdict.INVALID
    assert (
        recaptcha(verifier, min_score=0.0).verify(token("login"), action="login", remote_ip=IP)
        is Verdict.VALID
    )
