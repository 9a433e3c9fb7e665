"""BREACHED_PASSWORDS by profile, and the tests' settings never at the public range API
(docs/security.md, "Breached passwords")."""

from __future__ import annotations

import pytest

from infrastructure.accounts.hibp_range import DEFAULT_URL
from infrastructure.settings.identity.accounts import AccountSettings
from tests.support.settings import NO_RANGE_API, PRODUCTION_SETTINGS, make_settings

pytestmark = pytest.mark.unit


def test_the_check_blocks_by_default_and_is_off_in_the_local_profile() -> None:
    production = make_settings(**PRODUCTION_SETTINGS).group(AccountSettings)
    assert production.breached_passwords == "block"
    assert production.breached_passwords_min_count == 1
    assert make_settings().group(AccountSettings).breached_passwords == "off"
    asked = make_settings(breached_passwords="warn").group(AccountSettings)
    assert asked.breached_passwords == "warn"


def test_the_public_range_api_is_the_default_and_no_tests_settings_reach_it() -> None:
    assert make_settings(breached_passwords_url=DEFAULT_URL).group(
        AccountSettings
    ).breached_passwords_url == ("https://api.pwnedpasswords.com")
    for settings in (make_settings(), make_settings(**PRODUCTION_SETTINGS)):
        assert settings.group(AccountSettings).breached_passwords_url == NO_RANGE_API
