"""Sign-in's part of the pages' configuration (``PAGES_CONFIGURED``, bootstrap/driving.py):
the CSRF tokens' key, derived from the signing secret, the passkeys' origins
(WEBAUTHN_ORIGINS) and whether /sign-in offers a mailed code (PASSWORDLESS_EMAIL)."""

from __future__ import annotations

from dataclasses import replace

from bootstrap.keys import derived_key
from infrastructure.settings import Settings
from infrastructure.settings.identity.signin import SignInSettings
from interfaces.web import PagesConfig


def signin_pages(settings: Settings, config: PagesConfig) -> PagesConfig:
    """The pages' configuration with sign-in's settings."""
    own = settings.group(SignInSettings)
    return replace(
        config,
        key=derived_key(own, b"pages csrf"),
        passkey_origins=tuple(own.webauthn_origins),
        email_code=own.passwordless_email,
    )
