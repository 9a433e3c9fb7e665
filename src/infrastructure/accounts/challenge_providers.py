"""The challenge's providers (docs/security.md, "A challenge on signals"): Cloudflare
Turnstile's siteverify and reCAPTCHA Enterprise's createAssessment. Each checks, besides the
token's validity, that it was issued on this site's host name and for the action asked; an
answer that does not come, or cannot be read, is ``UNREACHABLE``
(docs/decisions/0483-challenge-providers-and-their-settings.md)."""

from __future__ import annotations

import logging
from typing import Any

import requests

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


def _answer(url: str, **kwargs: Any) -> dict[str, Any] | None:
    """The provider's JSON answer, or None when there is none to read."""
    try:
        response = requests.post(url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
        if response.status_code >= 500 or response.status_code == 429:
            log.warning("challenge verifier answered %s", response.status_code)
            return None
        answer = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("challenge verifier unreachable: %s", type(exc).__name__)
        return None
    return answer if isinstance(answer, dict) else None


def _verdict(said: dict[str, Any], passed: str, hostname: str, action: str) -> Verdict:
    """VALID when the provider's ``passed`` field is true and the token names this site's
    ``hostname`` and the ``action`` asked."""
    valid = (
        said.get(passed) is True
        and said.get("hostname") == hostname
        and said.get("action") == action
    )
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
        if answer is None:
            return Verdict.UNREACHABLE
        if "internal-error" in (answer.get("error-codes") or ()):
            return Verdict.UNREACHABLE
        return _verdict(answer, "success", self._hostname, action)


class RecaptchaEnterpriseChallenge:
    """createAssessment with the API key: valid when ``tokenProperties.valid`` and its
    ``hostname`` and ``action`` are this site's and the one asked."""

    def __init__(self, *, api_key: str, site_key: str, hostname: str, url: str) -> None:
        self._api_key, self._site_key, self._hostname, self._url = api_key, site_key, hostname, url

    def verify(self, token: str, *, action: str, remote_ip: str) -> Verdict:
        if len(token) > MAX_TOKEN_CHARS:
            return Verdict.INVALID
        event = {"token": token, "siteKey": self._site_key, "expectedAction": action}
        if remote_ip:
            event["userIpAddress"] = remote_ip
        answer = _answer(self._url, params={"key": self._api_key}, json={"event": event})
        if answer is None:
            return Verdict.UNREACHABLE
        properties = answer.get("tokenProperties")
        if not isinstance(properties, dict):
            return Verdict.INVALID  # an error answer (a bad key, say): no token was judged
        return _verdict(properties, "valid", self._hostname, action)


class NoChallenge:
    """CHALLENGE_PROVIDER=none: nothing is asked, so nothing is ever verified."""

    def verify(self, token: str, *, action: str, remote_ip: str) -> Verdict:
        return Verdict.INVALID
