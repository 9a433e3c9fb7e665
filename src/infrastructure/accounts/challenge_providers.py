"""The challenge's providers (docs/security.md, "A challenge on signals"): Cloudflare
Turnstile's siteverify and reCAPTCHA Enterprise's createAssessment. Only a well-formed
verdict counts: it passes when the provider says so for this site's host name and the action
asked (and, for reCAPTCHA, a score of at least ``CHALLENGE_MIN_SCORE``). An answer that is
no verdict (a 4xx such as 429, HTML, JSON of another shape) is ``NOT_A_VERDICT``, a refusal;
only an outage (no connection, no answer in time, a 5xx) is ``UNREACHABLE``
(docs/decisions/0502-only-a-verdict-passes-a-challenge.md)."""

from __future__ import annotations

import logging
from typing import Any

from application.accounts.challenge_gate import Verdict

TURNSTILE_VERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
TURNSTILE_SCRIPT_URL = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit"
RECAPTCHA_VERIFY_URL = (
    "https://recaptchaenterprise.googleapis.com/v1/projects/{project}/assessments"
)
RECAPTCHA_SCRIPT_URL = "https://www.google.com/recaptcha/enterprise.js?render=explicit"
# What the pages' CSP allows of each provider's widget: its script and its frames.
WIDGET_ORIGINS = {
    "turnstile": ("https://challenges.cloudflare.com",),
    "recaptcha_enterprise": (
        "https://www.google.com",
        "https://www.gstatic.com",
        "https://recaptcha.google.com",
    ),
}
TIMEOUT = (2.0, 3.0)  # connect, read: seconds
MAX_TOKEN_CHARS = 4096  # Turnstile's are at most 2,048

log = logging.getLogger("firegate.challenge")


def _answer(url: str, **kwargs: Any) -> dict[str, Any] | Verdict:
    """The provider's JSON object, or the verdict of its absence: UNREACHABLE for no
    connection, no answer in time or a 5xx; NOT_A_VERDICT for any other status than 200 or a
    body that is not a JSON object."""
    # Imported by the first challenge verified: a deployment without a challenge provider
    # never loads requests for it (docs/decisions/0530-protocol-stacks-loaded-when-used.md).
    import requests  # noqa: PLC0415

    try:
        response = requests.post(url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        log.warning("challenge verifier unreachable: %s", type(exc).__name__)
        return Verdict.UNREACHABLE
    if response.status_code >= 500:
        log.warning("challenge verifier answered %s", response.status_code)
        return Verdict.UNREACHABLE
    if response.status_code != 200:
        log.warning("challenge verifier answered %s: no verdict", response.status_code)
        return Verdict.NOT_A_VERDICT
    try:
        answer = response.json()
    except ValueError:  # requests' JSONDecodeError is one
        log.warning("challenge verifier's answer is not JSON")
        return Verdict.NOT_A_VERDICT
    return answer if isinstance(answer, dict) else Verdict.NOT_A_VERDICT


def _verdict(said: dict[str, Any], passed: str, hostname: str, action: str) -> Verdict:
    """The verdict of the provider's ``passed`` field (a boolean, else NOT_A_VERDICT): VALID
    when true and the token names this site's ``hostname`` and the ``action`` asked."""
    verdict = said.get(passed)
    if not isinstance(verdict, bool):
        return Verdict.NOT_A_VERDICT
    valid = verdict and said.get("hostname") == hostname and said.get("action") == action
    return Verdict.VALID if valid else Verdict.INVALID


class TurnstileChallenge:
    """POST ``secret``, ``response``, ``remoteip`` to siteverify; valid when ``success`` and
    the ``hostname`` and ``action`` it names are this site's and the one asked."""

    def __init__(self, *, secret: str, hostname: str, url: str = TURNSTILE_VERIFY_URL) -> None:
        self._secret, self._hostname, self._url = secret, hostname, url

    def verify(self, token: str, *, action: str, remote_ip: str) -> Verdict:
        if len(token) > MAX_TOKEN_CHARS:
            return Verdict.INVALID
        form = {"secret": self._secret, "response": token}
        if remote_ip:
            form["remoteip"] = remote_ip
        answer = _answer(self._url, data=form)
        if isinstance(answer, Verdict):
            return answer
        codes = answer.get("error-codes")
        if isinstance(codes, list) and "internal-error" in codes:
            return Verdict.UNREACHABLE  # Turnstile's word for its own outage
        return _verdict(answer, "success", self._hostname, action)


class RecaptchaEnterpriseChallenge:
    """createAssessment with the API key: valid when ``tokenProperties.valid``, its
    ``hostname`` and ``action`` are this site's and the one asked, and ``riskAnalysis.score``
    is at least ``min_score`` (LOW_SCORE below it)."""

    def __init__(
        self, *, api_key: str, site_key: str, hostname: str, url: str, min_score: float = 0.5
    ) -> None:
        self._api_key, self._site_key, self._hostname, self._url = api_key, site_key, hostname, url
        self._min_score = min_score

    def verify(self, token: str, *, action: str, remote_ip: str) -> Verdict:
        if len(token) > MAX_TOKEN_CHARS:
            return Verdict.INVALID
        event = {"token": token, "siteKey": self._site_key, "expectedAction": action}
        if remote_ip:
            event["userIpAddress"] = remote_ip
        answer = _answer(self._url, params={"key": self._api_key}, json={"event": event})
        if isinstance(answer, Verdict):
            return answer
        properties = answer.get("tokenProperties")
        if not isinstance(properties, dict):
            return Verdict.NOT_A_VERDICT
        verdict = _verdict(properties, "valid", self._hostname, action)
        if verdict is not Verdict.VALID:
            return verdict
        risk = answer.get("riskAnalysis")
        score = risk.get("score") if isinstance(risk, dict) else None
        if isinstance(score, bool) or not isinstance(score, int | float):
            return Verdict.NOT_A_VERDICT  # a valid token with no score judged nothing
        return Verdict.VALID if score >= self._min_score else Verdict.LOW_SCORE


class NoChallenge:
    """CHALLENGE_PROVIDER=none: nothing is asked, so nothing is ever verified."""

    def verify(self, token: str, *, action: str, remote_ip: str) -> Verdict:
        return Verdict.INVALID
