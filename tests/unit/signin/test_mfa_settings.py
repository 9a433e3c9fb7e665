"""MFA_ENCRYPTION_KEY: required in production, a valid Fernet key, generated locally (with the
other development secrets, once per run); the start-up checks of WEBAUTHN_RP_ID and
WEBAUTHN_ORIGINS."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.errors import Unavailable
from infrastructure.dev_secrets import development_secrets, new_rsa_key_pem
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.signin.secret_box import FernetSecretBox
from tests.support.settings import PRODUCTION_SETTINGS, TEST_MFA_KEY, TEST_OIDC_KEY, make_settings

pytestmark = pytest.mark.unit

PRODUCTION = PRODUCTION_SETTINGS


def test_production_refuses_to_start_without_a_key() -> None:
    with pytest.raises(ValidationError, match="MFA_ENCRYPTION_KEY is required in production"):
        make_settings(**PRODUCTION, mfa_encryption_key=None)


@pytest.mark.parametrize("key", ["short", "x" * 44, "!" * 44])
def test_a_key_that_is_not_a_fernet_key_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="Fernet key"):
        make_settings(mfa_encryption_key=key)


def test_the_local_profile_generates_a_key() -> None:
    key = make_settings(mfa_encryption_key=None).group(SignInSettings).mfa_encryption_key
    assert key is not None
    box = FernetSecretBox(key.get_secret_value())
    assert box.open(box.seal("JBSWY3DPEHPK3PXP")) == "JBSWY3DPEHPK3PXP"


def test_another_key_cannot_open_a_sealed_secret() -> None:
    first, second = (make_settings(mfa_encryption_key=None) for _ in range(2))
    first_key, second_key = (
        first.group(SignInSettings).mfa_encryption_key,
        second.group(SignInSettings).mfa_encryption_key,
    )
    assert first_key is not None and second_key is not None
    sealed = FernetSecretBox(first_key.get_secret_value()).seal("s")
    with pytest.raises(Unavailable):
        FernetSecretBox(second_key.get_secret_value()).open(sealed)


@pytest.mark.parametrize(
    "key",
    [
        "short",
        "x" * 44,
        "!" * 44,
        "",
        "A" * 43 + "=",  # 32 bytes
        "A" * 43,  # unpadded
        "A" * 42 + "==",
        "A" * 40 + "+/+/",  # the standard alphabet
        "A" * 43 + "=\n",
        "é" * 44,
    ],
)
def test_the_key_check_agrees_with_fernet(key: str) -> None:
    from cryptography.fernet import Fernet

    from infrastructure.dev_secrets import new_fernet_key
    from infrastructure.settings.identity.signin import _fernet_key

    try:
        Fernet(key.encode())
        accepted = True
    except (ValueError, TypeError):
        accepted = False
    assert _fernet_key(key) is accepted
    assert _fernet_key(new_fernet_key()) and Fernet(new_fernet_key().encode())


# -- WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS (docs/reference/passkeys.md) ---------------------


@pytest.mark.parametrize(
    "origin",
    [
        "app.example.com",  # no scheme
        "ftp://app.example.com",
        "https://",  # no host
        "https://app.example.com/login",  # a path is not part of an origin
        "https://app.example.com?next=x",
    ],
)
def test_a_malformed_origin_is_refused(origin: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin") as info:
        make_settings(webauthn_rp_id="example.com", webauthn_origins=[origin])
    # The message names the origin as it was read (without a trailing "/").
    assert f"WEBAUTHN_ORIGINS: {origin.rstrip('/')!r} is not an origin" in str(info.value)


@pytest.mark.parametrize(
    "origin",
    [
        "https://example.org",
        "https://notexample.com",  # a suffix of the name, not of the domain
        "https://example.com.evil.test",
    ],
)
def test_an_origin_outside_the_rp_id_is_refused(origin: str) -> None:
    with pytest.raises(ValidationError, match="must be the host of") as info:
        make_settings(webauthn_rp_id="example.com", webauthn_origins=[origin])
    assert "WEBAUTHN_RP_ID 'example.com'" in str(info.value) and origin in str(info.value)


def test_origins_on_the_rp_id_or_under_it_are_taken() -> None:
    origins = ["https://example.com", "https://app.example.com:8443/", "https://a.b.EXAMPLE.com"]
    settings = make_settings(webauthn_rp_id="Example.com", webauthn_origins=origins)
    assert settings.group(SignInSettings).webauthn_origins == [
        origin.rstrip("/") for origin in origins
    ]


def test_an_http_origin_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="must be https in production") as info:
        make_settings(
            **PRODUCTION,
            webauthn_rp_id="example.com",
            webauthn_origins=["http://app.example.com"],
        )
    assert "WEBAUTHN_ORIGINS: 'http://app.example.com'" in str(info.value)
    local = make_settings(webauthn_rp_id="example.com", webauthn_origins=["http://app.example.com"])
    # the local profile allows it
    assert local.group(SignInSettings).webauthn_origins == ["http://app.example.com"]


# -- development secrets: made once per run for every worker (docs/configuration.md) ------


def test_the_local_profile_makes_each_secret_it_lacks_once_for_all_workers() -> None:
    made = development_secrets({"APP_PROFILE": "local", "JOB_QUEUE": "pubsub"})
    assert sorted(made) == [
        "JOB_PUSH_TOKEN",
        "JWT_SECRET",
        "MFA_ENCRYPTION_KEY",
        "OIDC_PRIVATE_KEY",
        "OIDC_RSA_PRIVATE_KEY",
        "SAML_SP_PRIVATE_KEY",
    ]
    settings = make_settings(
        jwt_secret=made["JWT_SECRET"],
        mfa_encryption_key=made["MFA_ENCRYPTION_KEY"],
        job_queue="pubsub",
        job_push_token=made["JOB_PUSH_TOKEN"],
    )
    key = settings.group(SignInSettings).mfa_encryption_key
    assert key is not None
    assert key.get_secret_value() == made["MFA_ENCRYPTION_KEY"]
    assert development_secrets({"APP_PROFILE": "local"}).keys() == {
        "JWT_SECRET",
        "MFA_ENCRYPTION_KEY",
        "OIDC_PRIVATE_KEY",
        "OIDC_RSA_PRIVATE_KEY",
        "SAML_SP_PRIVATE_KEY",
    }
    without_provider = development_secrets({"APP_PROFILE": "local", "OAUTH_PROVIDER": "false"})
    assert "OIDC_PRIVATE_KEY" not in without_provider
    assert "OIDC_RSA_PRIVATE_KEY" not in without_provider


def test_an_rsa_provider_key_needs_no_second_key_for_id_tokens() -> None:
    rsa_key = new_rsa_key_pem()
    for name in ("JWT_PRIVATE_KEY", "OIDC_PRIVATE_KEY"):
        made = development_secrets({"APP_PROFILE": "local", name: rsa_key})
        assert "OIDC_RSA_PRIVATE_KEY" not in made
    ec_key = development_secrets({"APP_PROFILE": "local", "JWT_PRIVATE_KEY": TEST_OIDC_KEY})
    assert "OIDC_RSA_PRIVATE_KEY" in ec_key


def test_configured_secrets_and_the_production_profile_get_none() -> None:
    configured = {
        "APP_PROFILE": "local",
        "JWT_PRIVATE_KEY": "a PEM key",
        "OIDC_RSA_PRIVATE_KEY": "a PEM key",
        "MFA_ENCRYPTION_KEY": TEST_MFA_KEY,
        "JOB_QUEUE": "pubsub",
        "JOB_PUSH_TOKEN": "t" * 24,
        "SAML_SP_PRIVATE_KEY": "a PEM key",
    }
    assert development_secrets(configured) == {}
    assert development_secrets({"APP_PROFILE": "production", "JOB_QUEUE": "pubsub"}) == {}
    assert development_secrets({}) == {}  # the profile's default is production
