"""The challenge's providers against a local verifier that answers as Turnstile's
siteverify and reCAPTCHA Enterprise's createAssessment do (docs/security.md, "A challenge on
signals"): what each sends, and a token valid only on this site's host and for the action."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from application.accounts.challenge_gate import ChallengeVerifier, Verdict
from infrastructure.accounts.challenge_providers import (
    RecaptchaEnterpriseChallenge,
    TurnstileChallenge,
)
from tests.support.challenge_verifier import Verifier, challenge_verifier, token
from tests.support.servers import free_port

pytestmark = pytest.mark.integration
IP = "203.0.113.9"
Provider = Callable[..., ChallengeVerifier]


@pytest.fixture
def verifier() -> Iterator[Verifier]:
    with challenge_verifier(hostname="id.example.com") as running:
        yield running


def turnstile(verifier: Verifier, hostname: str = "id.example.com") -> TurnstileChallenge:
    return TurnstileChallenge(
        secret="test-secret", hostname=hostname, url=verifier.url + "/turnstile"
    )


def recaptcha(verifier: Verifier, hostname: str = "id.example.com") -> RecaptchaEnterpriseChallenge:
    return RecaptchaEnterpriseChallenge(
        api_key="test-secret",
        site_key="site-key",
        hostname=hostname,
        url=verifier.url + "/v1/projects/demo/assessments",
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
