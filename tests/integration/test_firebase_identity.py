"""FirebaseIdentityVerifier on the Auth emulator: what it returns, and Firebase Auth down;
FirebaseCustomTokens with nothing to sign with (tests/contract has what it mints)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from domain.errors import Unauthenticated, Unavailable
from domain.ids import new_id
from infrastructure.federation.firebase_identity import (
    FirebaseCustomTokens,
    FirebaseIdentityVerifier,
)
from tests.support.app import app_on, swap
from tests.support.settings import make_settings

pytestmark = pytest.mark.integration


def sign_up(emulators: Any, email: str) -> str:
    response = requests.post(
        f"{emulators.url('auth')}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=any",
        json={"email": email, "password": "secret pass 1", "returnSecureToken": True},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["idToken"]
    return token


def test_verified_identity_carries_the_profile(clean_emulators: Any) -> None:
    verifier = FirebaseIdentityVerifier(project=clean_emulators.project)
    identity = verifier.verify(sign_up(clean_emulators, "Zoe@Example.com"))
    assert identity.provider == "firebase"
    assert identity.subject and identity.subject != "Zoe@Example.com"
    assert identity.email == "zoe@example.com"  # Firebase stores it lower-cased
    assert identity.email_verified is False and identity.display_name is None


def test_refusals_never_quote_the_token(clean_emulators: Any) -> None:
    verifier = FirebaseIdentityVerifier(project=clean_emulators.project)
    for token in ("not-a-jwt-secret-looking-value", "a.b.c"):
        with pytest.raises(Unauthenticated) as info:
            verifier.verify(token)
        assert info.value.code == "invalid_id_token"
        assert token not in str(info.value) and info.value.__cause__ is None


def test_unreachable_firebase_auth_is_503(
    firestore: Any, clean_emulators: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bootstrap import build_adapters

    token = sign_up(clean_emulators, "yan@example.com")
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")  # nothing listens there
    verifier = FirebaseIdentityVerifier(
        project=clean_emulators.project, app_name=f"firegate-down-{new_id()}"
    )
    started = time.monotonic()
    with pytest.raises(Unavailable):
        verifier.verify(token)
    settings = make_settings()
    adapters = swap(build_adapters(settings, firestore=firestore), identity_verifier=verifier)
    client = app_on(settings, adapters).test_client()
    response = client.post("/auth/firebase", json={"id_token": token})
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json()["code"] == "service_unavailable"
    assert time.monotonic() - started < 30


def test_no_signer_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Outside the emulator with no service account to sign with: a 503 for the caller, the
    reason for the operator in the log, and the next mint tries again."""
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    minter = FirebaseCustomTokens(project="demo-firegate", app_name=f"firegate-nosign-{new_id()}")
    for attempt in range(2):
        caplog.clear()
        with (
            caplog.at_level(logging.WARNING, logger="infrastructure.federation.firebase_identity"),
            pytest.raises(Unavailable) as info,
        ):
            minter.mint(new_id(), {"role": "user"})
        assert info.value.code == "service_unavailable" and info.value.__cause__ is None, attempt
        assert "DefaultCredentialsError" in caplog.text and "missing.json" in caplog.text
