"""FirebaseIdentityVerifier on the Auth emulator: what it returns, and Firebase Auth down."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
import requests

from domain.errors import Unauthenticated, Unavailable
from domain.ids import new_id
from infrastructure.firebase_identity import FirebaseIdentityVerifier
from tests.conftest import make_settings

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
    from bootstrap import build_adapters, build_app

    token = sign_up(clean_emulators, "yan@example.com")
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")  # nothing listens there
    verifier = FirebaseIdentityVerifier(
        project=clean_emulators.project, app_name=f"firegate-down-{new_id()}"
    )
    started = time.monotonic()
    with pytest.raises(Unavailable):
        verifier.verify(token)
    settings = make_settings()
    adapters = replace(build_adapters(settings, firestore=firestore), identity_verifier=verifier)
    client = build_app(settings, adapters).test_client()
    response = client.post("/auth/firebase", json={"id_token": token})
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json()["code"] == "service_unavailable"
    assert time.monotonic() - started < 30
