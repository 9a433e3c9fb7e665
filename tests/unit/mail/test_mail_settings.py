"""PUBLIC_URL and SMTP_URL in production: set, and links that leave the server's machine."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infrastructure.settings.identity.mail import MailSettings
from infrastructure.settings.identity.signin import SignInSettings
from tests.support.settings import PRODUCTION_SETTINGS, make_settings

pytestmark = pytest.mark.unit

PRODUCTION = PRODUCTION_SETTINGS


@pytest.fixture(autouse=True)
def unset_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment too: a shell's SMTP_URL (an emulator's) must not count."""
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("SMTP_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)  # the local PUBLIC_URL follows it


def production(**changes: object) -> dict[str, object]:
    values = {**PRODUCTION, **changes}
    return {name: value for name, value in values.items() if value is not ...}


def test_production_starts_with_both_set() -> None:
    settings = make_settings(**production())
    assert settings.service.public_url == "https://app.example.com"


def test_production_refuses_an_unset_public_url() -> None:
    with pytest.raises(ValidationError, match="PUBLIC_URL is required in production"):
        make_settings(**production(public_url=...))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "https://localhost",
        "https://LOCALHOST.:8443/app",
        "https://app.localhost",
        "http://127.1.2.3",
        "http://[::1]:8000",
        "http://0.0.0.0:8000",
    ],
)
def test_production_refuses_a_loopback_public_url(url: str) -> None:
    with pytest.raises(ValidationError, match="PUBLIC_URL must not point at a loopback host"):
        make_settings(**production(public_url=url))


def test_production_refuses_an_unset_smtp_url() -> None:
    with pytest.raises(ValidationError, match="SMTP_URL is required in production"):
        make_settings(**production(smtp_url=...))


def test_production_reports_every_mail_problem_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        make_settings(**production(public_url=..., smtp_url=..., mfa_encryption_key=None))
    message = str(info.value)
    for problem in ("PUBLIC_URL is required", "SMTP_URL is required", "MFA_ENCRYPTION_KEY"):
        assert problem in message


def test_production_accepts_a_named_relay_on_its_own_host() -> None:
    """A relay beside the service (a Cloud Run sidecar, a host's MTA) is a real server
    (docs/decisions/0103-production-mail-settings.md)."""
    assert make_settings(**production(smtp_url="smtp://127.0.0.1:25")).group(MailSettings).smtp_url


def test_the_local_profile_keeps_its_defaults() -> None:
    settings = make_settings(public_url=...)
    # localhost, where passkeys work, as WebAuthn's origin is (decision 0121).
    assert settings.service.public_url == "http://localhost:8000"
    assert settings.group(SignInSettings).webauthn_origins == [settings.service.public_url]
    assert settings.group(SignInSettings).webauthn_rp_id == "localhost"
    assert settings.group(MailSettings).smtp_url.get_secret_value() == "smtp://127.0.0.1:1025"


def test_local_mail_links_follow_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    # `PORT=9000 make run`: the links in its mails must open that server, not :8000.
    monkeypatch.setenv("PORT", "9000")
    assert make_settings(public_url=...).service.public_url == "http://localhost:9000"
    assert make_settings(port=9001, public_url=...).service.public_url == "http://localhost:9001"
    assert make_settings(port=9001).group(SignInSettings).webauthn_origins == [
        "http://localhost:9001"
    ]
    given = make_settings(port=9001, public_url="http://127.0.0.1:9001")
    assert given.service.public_url == "http://127.0.0.1:9001"  # what is set is kept
