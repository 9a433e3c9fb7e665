"""The tests' settings: ``make_settings`` and the keys, secrets and limits it uses."""

from __future__ import annotations

from typing import Any

from infrastructure.dev_secrets import development_rsa_key_pem, new_signing_key_pem
from infrastructure.settings import Settings

TEST_SECRET = "test-secret-" + "x" * 40
TEST_MFA_KEY = "dGVzdC1tZmEta2V5LXRlc3QtbWZhLWtleS10ZXN0LW0="  # a Fernet key (32 bytes)
TEST_OIDC_KEY = new_signing_key_pem()  # the OpenID Connect provider's (ES256)
TEST_OIDC_RSA_KEY = development_rsa_key_pem()  # its ID tokens' (RS256)
# Test flows register and log in many times from one address; tests/unit/test_rate_limits.py
# checks the per-address limits with tight values of its own.
RELAXED_RATE_LIMITS = {
    "RATE_LIMIT_REGISTER": "1000/minute",
    "RATE_LIMIT_LOGIN": "1000/minute",
    "RATE_LIMIT_REFRESH": "1000/minute",
    "RATE_LIMIT_FIREBASE": "1000/minute",
    "RATE_LIMIT_EMAIL_VERIFY": "1000/minute",
    "RATE_LIMIT_PASSWORD_FORGOT": "1000/minute",
    "RATE_LIMIT_EMAIL_CODE": "1000/minute",
    "RATE_LIMIT_PHONE_CODE": "1000/minute",
    "RATE_LIMIT_PASSWORD_RESET": "1000/minute",
    "RATE_LIMIT_PASSKEYS": "1000/minute",
    "RATE_LIMIT_SSO_ACS": "1000/minute",
    "RATE_LIMIT_OAUTH_TOKEN": "1000/minute",
    "RATE_LIMIT_OAUTH_INTROSPECT": "1000/minute",
    "RATE_LIMIT_OAUTH_REGISTER": "1000/minute",
    "RATE_LIMIT_OAUTH_CLIENT_DOCUMENTS": "1000/minute",
}
# No test reaches the public range API of breached passwords: where a test turns the check
# on without a range server of its own (tests/support/range_api.py), it meets a closed port
# and fails open. Nothing listens on the discard port.
NO_RANGE_API = "http://127.0.0.1:9"
# Settings of a valid production profile (no emulators, public addresses), for tests of the
# production checks: each changes one value and expects the refusal it causes.
PRODUCTION_SETTINGS: dict[str, object] = {
    "app_profile": "production",
    **{f"{name}_emulator_host": None for name in ("firestore", "firebase_auth", "pubsub")},
    "storage_emulator_host": None,
    "public_url": "https://app.example.com",
    "smtp_url": "smtp://apikey:secret@smtp.example.com:587",
    "oidc_private_key": TEST_OIDC_KEY,
    "oidc_rsa_private_key": TEST_OIDC_RSA_KEY,
}


def make_settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {
        "app_profile": "local",
        "google_cloud_project": "demo-firegate",
        "jwt_secret": TEST_SECRET,
        "mfa_encryption_key": TEST_MFA_KEY,
        "oidc_private_key": TEST_OIDC_KEY,
        "oidc_rsa_private_key": TEST_OIDC_RSA_KEY,
        "log_level": "WARNING",
        # No webhook sweeper unless a test asks for one: an app built on the emulators would
        # keep sweeping the shared emulator every 20 s for the rest of the run, and claim
        # the deliveries other tests are looking at.
        "webhook_sweep_interval": 0.0,
        "sso_certificate_sweep_interval": 0.0,  # likewise the IdP certificates' expiry sweep
        "ssf_receiver_sweep_interval": 0.0,  # and the SSF receiver's streams' registration
        "breached_passwords_url": NO_RANGE_API,
        **{name.lower(): value for name, value in RELAXED_RATE_LIMITS.items()},
    }
    values.update(changes)
    if values["app_profile"] == "local":
        # The tests' front end, which many assertions name (mail links, the provider's
        # issuer). The local profile's own, http://localhost:$PORT, shows with public_url=...
        values.setdefault("public_url", "http://127.0.0.1:8000")
    settings = Settings(**{name: value for name, value in values.items() if value is not ...})
    # The core's groups checked as a start checks them; an optional unit's when it is
    # read, or by check_units.
    from bootstrap.units import check_core  # the units, imported on first use

    check_core(settings)
    return settings
