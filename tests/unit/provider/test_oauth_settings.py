"""The OpenID Connect provider's signing key in the settings (docs/reference/oauth.md)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bootstrap import build_app
from infrastructure.settings import Settings
from infrastructure.settings.orgs_and_apps.provider import ProviderSettings
from tests.support.app import fake_adapters
from tests.support.settings import (
    PRODUCTION_SETTINGS,
    TEST_OIDC_KEY,
    TEST_OIDC_RSA_KEY,
    TEST_SECRET,
    make_settings,
)

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
    assert settings.group(ProviderSettings).oidc_private_key is None
    app = build_app(settings, fake_adapters(settings))
    assert app.test_client().get("/.well-known/openid-configuration").status_code == 404


def test_the_local_profile_makes_development_keys_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        app_profile="local", jwt_secret=TEST_SECRET, google_cloud_project="demo-firegate"
    )
    provider = settings.group(ProviderSettings)
    assert provider.oidc_private_key is not None
    assert "BEGIN PRIVATE KEY" in provider.oidc_private_key.get_secret_value()
    assert provider.oidc_rsa_private_key is not None
    assert any("OIDC_PRIVATE_KEY is not set" in r.getMessage() for r in caplog.records)
    assert any("OIDC_RSA_PRIVATE_KEY is not set" in r.getMessage() for r in caplog.records)
    app = build_app(settings, fake_adapters(settings))
    keys = app.test_client().get("/.well-known/jwks.json").get_json()["keys"]
    # HS256 own tokens: only the provider's, for its access tokens and its ID tokens
    assert [key["alg"] for key in keys] == ["ES256", "RS256"]


def test_jwt_private_key_signs_both_and_the_jwks_lists_it_once() -> None:
    pem = make_settings().group(ProviderSettings).oidc_private_key
    assert pem is not None
    settings = make_settings(jwt_secret=None, jwt_private_key=pem.get_secret_value())
    app = build_app(settings, fake_adapters(settings))
    keys = app.test_client().get("/.well-known/jwks.json").get_json()["keys"]
    assert [key["alg"] for key in keys] == ["ES256", "RS256"]  # and the ID tokens' key


def metadata_and_jwks(settings: Settings) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    client = build_app(settings, fake_adapters(settings)).test_client()
    found = client.get("/.well-known/openid-configuration").get_json()
    return found, client.get("/.well-known/jwks.json").get_json()["keys"]


def test_an_rsa_provider_key_signs_id_tokens_itself() -> None:
    settings = make_settings(oidc_private_key=TEST_OIDC_RSA_KEY, oidc_rsa_private_key=None)
    assert (
        settings.group(ProviderSettings).oidc_rsa_private_key is None
    )  # none made: the key is RSA already
    found, keys = metadata_and_jwks(settings)
    assert found["id_token_signing_alg_values_supported"] == ["RS256"]
    assert [key["alg"] for key in keys] == ["RS256"]


def test_production_with_an_ec_key_alone_signs_id_tokens_es256_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(
        **{**PRODUCTION_SETTINGS, "jwt_secret": TEST_SECRET, "oidc_rsa_private_key": None}
    )
    assert (
        settings.group(ProviderSettings).oidc_rsa_private_key is None
    )  # production makes no key up
    assert any("OIDC_RSA_PRIVATE_KEY is not set" in r.getMessage() for r in caplog.records)
    found, keys = metadata_and_jwks(settings)
    assert found["id_token_signing_alg_values_supported"] == ["ES256"]
    assert [key["alg"] for key in keys] == ["ES256"]


def test_production_with_an_rsa_key_for_id_tokens_lists_rs256() -> None:
    settings = make_settings(**{**PRODUCTION_SETTINGS, "jwt_secret": TEST_SECRET})
    found, keys = metadata_and_jwks(settings)
    assert found["id_token_signing_alg_values_supported"] == ["RS256"]
    assert [key["alg"] for key in keys] == ["ES256", "RS256"]


@pytest.mark.parametrize("key", ["not a key", TEST_OIDC_KEY], ids=["junk", "an EC key"])
def test_an_id_token_key_that_is_not_rsa_is_refused_and_named(key: str) -> None:
    with pytest.raises(ValidationError) as refused:
        make_settings(oidc_rsa_private_key=key)
    assert "OIDC_RSA_PRIVATE_KEY must be a PEM RSA private key" in str(refused.value)
