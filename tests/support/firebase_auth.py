"""The Firebase Auth emulator, driven as a Firebase project's users and their apps would,
and firegate's exchange of their ID tokens."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from flask.testing import FlaskClient

from tests.support.api import bearer

FIREBASE_PASSWORD = "firebase secret 1"


@contextlib.contextmanager
def firebase_auth(emulators: Any, name: str) -> Iterator[FirebaseAuth]:
    """The Auth emulator through a firebase_admin app named ``name`` (unique in the process),
    deleted when the block ends."""
    import firebase_admin

    app = firebase_admin.initialize_app(options={"projectId": emulators.project}, name=name)
    try:
        yield FirebaseAuth(app=app, url=emulators.url("auth"))
    finally:
        firebase_admin.delete_app(app)


@dataclass
class FirebaseAuth:
    """The Auth emulator, driven as a Firebase project's users and their apps would."""

    app: Any  # a firebase_admin App of the tests' own, for admin operations
    url: str

    def create(
        self,
        email: str | None,
        *,
        display_name: str | None = None,
        email_verified: bool = True,
    ) -> str:
        from firebase_admin import auth

        user = auth.create_user(
            email=email,
            password=FIREBASE_PASSWORD,
            display_name=display_name,
            email_verified=email_verified,
            app=self.app,
        )
        uid: str = user.uid
        return uid

    def sign_in(self, email: str) -> str:
        response = requests.post(
            f"{self.url}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any",
            json={"email": email, "password": FIREBASE_PASSWORD, "returnSecureToken": True},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["idToken"]
        return token

    def sign_up(self, email: str) -> str:
        """A user made by the client SDK's createUserWithEmailAndPassword: not verified."""
        response = requests.post(
            f"{self.url}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=any",
            json={"email": email, "password": FIREBASE_PASSWORD, "returnSecureToken": True},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["idToken"]
        return token


def exchange(client: FlaskClient, token: str) -> Any:
    return client.post("/auth/firebase", json={"id_token": token})


def tokens_for(client: FlaskClient, token: str) -> dict[str, Any]:
    response = exchange(client, token)
    assert response.status_code == 200, response.get_json()
    pair: dict[str, Any] = response.get_json()
    return pair


def me(client: FlaskClient, pair: dict[str, Any]) -> dict[str, Any]:
    response = client.get("/user", headers=bearer(pair["access_token"]))
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def assert_refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
