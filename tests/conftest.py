from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from werkzeug.test import TestResponse

from bootstrap import Adapters, build_adapters, build_app
from infrastructure.dev_secrets import development_rsa_key_pem, new_signing_key_pem
from infrastructure.settings import Settings
from tests.fakes.events import RecordingAuditLog
from tests.fakes.federation import FakeIdentityVerifier
from tests.fakes.kernel import FakeClock, FakeJobQueue, InMemoryStore
from tests.fakes.resources import FakePictureSource
from tests.support.app import fake_adapters
from tests.support.catalogues import compile_catalogues

pytest_plugins = ["tests.emulator_fixtures", "tests.redis_fixture"]

# No test asserts a wall-clock time: hypothesis's per-example deadline would, and it fails
# examples that a loaded machine (CI, a benchmark next door) merely ran slowly.
hypothesis_settings.register_profile("firegate", deadline=None)
hypothesis_settings.load_profile("firegate")


class AnswerSentClient(FlaskClient):
    """Reads each answer whole and closes it, as a server does once it has sent it: what a
    route hands on after its answer (interfaces/shared/after_response.py) then runs, as in
    production. ``buffered=False`` keeps an answer open, for a test to look before."""

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> TestResponse:
        return super().open(*args, buffered=buffered, **kwargs)


Flask.test_client_class = AnswerSentClient

TEST_SECRET = "test-secret-" + "x" * 40
TEST_MFA_KEY = "dGVzdC1tZmEta2V5LXRlc3QtbWZhLWtleS10ZXN0LW0="  # a Fernet key (32 bytes)
PASSWORD = "correct horse battery staple"
TEST_CLOCK = "firegate.test_clock"  # the fake clock an app built on the fakes reads


def app_time(client: FlaskClient) -> datetime:
    """The time of the app behind ``client``: its fake clock stands still, so a TOTP code for
    the app is computed at its time, never at the wall clock's."""
    found: FakeClock = client.application.extensions[TEST_CLOCK]
    return found.current


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
    "RATE_LIMIT_PASSWORD_RESET": "1000/minute",
    "RATE_LIMIT_PASSKEYS": "1000/minute",
    "RATE_LIMIT_OAUTH_TOKEN": "1000/minute",
    "RATE_LIMIT_OAUTH_INTROSPECT": "1000/minute",
    "RATE_LIMIT_OAUTH_REGISTER": "1000/minute",
}


# Settings of a valid production profile (no emulators, public addresses), for tests of the
# production checks: each changes one value and expects the refusal it causes.
PRODUCTION_SETTINGS: dict[str, object] = {
    "app_profile": "production",
    "dog_api_url": "https://dog.ceo/api/breeds/image/random",
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
        **{name.lower(): value for name, value in RELAXED_RATE_LIMITS.items()},
    }
    values.update(changes)
    if values["app_profile"] == "local":
        # The tests' front end, which many assertions name (mail links, the provider's
        # issuer). The local profile's own, http://localhost:$PORT, shows with public_url=...
        values.setdefault("public_url", "http://127.0.0.1:8000")
    return Settings(**{name: value for name, value in values.items() if value is not ...})


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def identity_verifier() -> FakeIdentityVerifier:
    return FakeIdentityVerifier()


@pytest.fixture
def audit_log() -> RecordingAuditLog:
    return RecordingAuditLog()


@pytest.fixture
def job_queue() -> FakeJobQueue:
    """The jobs ``fake_app`` queued; tests run them (tests/unit/test_dogs_http.py)."""
    return FakeJobQueue()


@pytest.fixture
def pictures() -> FakePictureSource:
    return FakePictureSource()


@pytest.fixture
def app_settings() -> Settings:
    """The settings of ``fake_app``; a test module overrides this fixture to change them."""
    return make_settings()


@pytest.fixture
def adapters(
    store: InMemoryStore,
    identity_verifier: FakeIdentityVerifier,
    audit_log: RecordingAuditLog,
    app_settings: Settings,
    *,
    job_queue: FakeJobQueue,
    pictures: FakePictureSource,
) -> Adapters:
    """The in-memory fakes behind ``fake_app`` (a fake clock, a fast hasher)."""
    return replace(
        fake_adapters(app_settings, store),
        identity_verifier=identity_verifier,
        audit=audit_log,
        pictures=pictures,
        job_queue=job_queue.attach,
    )


@pytest.fixture
def fake_app(adapters: Adapters, app_settings: Settings) -> Flask:
    """The whole HTTP app on in-memory fakes."""
    app = build_app(app_settings, adapters)
    app.extensions[TEST_CLOCK] = adapters.clock
    return app


@pytest.fixture
def client(fake_app: Flask) -> FlaskClient:
    return fake_app.test_client()


@pytest.fixture(scope="session")
def firestore_client(emulators: Any) -> Any:
    from infrastructure.firestore.client import make_client

    return make_client("demo-firegate")


@pytest.fixture
def firestore(firestore_client: Any, clean_emulators: Any) -> Any:
    """A Firestore client on a freshly wiped emulator."""
    return firestore_client


@pytest.fixture
def real_app(firestore: Any) -> Flask:
    """The HTTP app on the Firestore emulator with the real argon2 hasher."""
    settings = make_settings()
    return build_app(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def real_client(real_app: Flask) -> FlaskClient:
    return real_app.test_client()


def register(client: FlaskClient, username: str = "alice", **extra: Any) -> dict[str, Any]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    body.update(extra)
    response = client.post("/register", json=body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def login(client: FlaskClient, username: str = "alice", password: str = PASSWORD) -> str:
    response = client.post("/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    token: str = response.get_json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pytest_configure(config: pytest.Config) -> None:
    compile_catalogues()  # as `make translations` does before the service runs
