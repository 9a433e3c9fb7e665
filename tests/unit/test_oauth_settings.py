"""The OpenID Connect provider's signing key in the settings (docs/reference/oauth.md)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bootstrap import build_app
from infrastructure.settings import Settings
from tests.conftest import PRODUCTION_SETTINGS, TEST_SECRET, make_settings
from tests.fakes import fake_adapters

pytestmark = pytest.mark.unit


def test_production_refuses_to_start_the_provider_without_a_key_and_says_why() -> None:
    values = {**PRODUCTION_SETTINGS, "jwt_secret": TEST_SECRET, "oidc_private_key": None}
    with pytest.raises(ValidationError) as refused:
        make_settings(**values)
    assert "OIDC_PRIVATE_KEY (or JWT_PRIVATE_KEY) is required" in str(refused.value)
    assert "OAUTH_PROVIDER=false" in str(refused.value)


def test_production_without_the_provider_needs_no_key() -> None:
    values = {**PRODUCTION_SETTINGS, "jwt_secret": TEST_SECRET, "oidc_private_key": None}
    settings = make_settings(**values, oauth_provider=False)
    assert settings.oidc_private_key is None
    app = build_app(settings, fake_adapters(settings))
    assert app.test_client().get("/.well-known/openid-configuration").status_code == 404


def test_the_local_profile_makes_a_development_key_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        app_profile="local", jwt_secret=TEST_SECRET, google_cloud_project="demo-firegate"
    )
    assert settings.oidc_private_key is not None
    assert "BEGIN PRIVATE KEY" in settings.oidc_private_key.get_secret_value()
    assert any("OIDC_PRIVATE_KEY is not set" in r.getMessage() for r in caplog.records)
    app = build_app(settings, fake_adapters(settings))
    keys = app.test_client().get("/.well-known/jwks.json").get_json()["keys"]
    assert [key["alg"] for key in keys] == ["ES256"]  # HS256 own tokens: only the provider's


def test_jwt_private_key_signs_both_and_the_jwks_lists_it_once() -> None:
    pem = make_settings().oidc_private_key
    assert pem is not None
    settings = make_settings(jwt_secret=None, jwt_private_key=pem.get_secret_value())
    app = build_app(settings, fake_adapters(settings))
    keys = app.test_client().get("/.well-known/jwks.json").get_json()["keys"]
    assert len(keys) == 1 and keys[0]["alg"] == "ES256"
