"""The accounts' part of the pages' configuration (``PAGES_CONFIGURED``,
bootstrap/driving.py): the challenge's widget (CHALLENGE_PROVIDER, CHALLENGE_SCRIPT_URL) and
the origins the pages' CSP then allows."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from infrastructure.accounts.challenge_providers import (
    RECAPTCHA_SCRIPT_URL,
    TURNSTILE_SCRIPT_URL,
    WIDGET_ORIGINS,
)
from infrastructure.settings import Settings
from infrastructure.settings.identity.accounts import AccountSettings
from interfaces.web import PagesConfig


def challenge_widget(settings: Settings) -> tuple[str, tuple[str, ...]]:
    """The widget's script on the pages and the origins their CSP then allows: none without
    a provider; CHALLENGE_SCRIPT_URL's own origin where it is set (a local stand-in)."""
    own = settings.group(AccountSettings)
    if own.challenge_provider == "none":
        return "", ()
    if own.challenge_script_url:
        parts = urlsplit(own.challenge_script_url)
        return own.challenge_script_url, (f"{parts.scheme}://{parts.netloc}",)
    default = (
        TURNSTILE_SCRIPT_URL if own.challenge_provider == "turnstile" else RECAPTCHA_SCRIPT_URL
    )
    return default, WIDGET_ORIGINS[own.challenge_provider]


def challenge_pages(settings: Settings, config: PagesConfig) -> PagesConfig:
    """The pages' configuration with the challenge's widget (``challenge_widget``)."""
    script, origins = challenge_widget(settings)
    return replace(config, challenge_script=script, challenge_origins=origins)
