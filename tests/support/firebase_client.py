"""A Firebase client app as the SDK reaches the emulators, signed in with firegate's custom
token: Firestore through its REST API with the end user's ID token (never the emulator's
``owner``, which bypasses the rules), and the rules it enforces loaded from a file's text.
The recipe is docs/recipes/firebase-client.md."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import requests

from tests.support.api import PASSWORD, bearer


def load_rules(emulators: Any, text: str) -> None:
    """Make the Firestore emulator enforce ``text`` (the suite's starts with none, which lets
    everyone in). Other tests reach Firestore as its owner, whom rules never stop."""
    answer = requests.put(
        f"{emulators.url('firestore')}/emulator/v1/projects/{emulators.project}:securityRules",
        json={"rules": {"files": [{"name": "firestore.rules", "content": text}]}},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def firebase_sign_in(emulators: Any, custom_token: str) -> dict[str, Any]:
    """signInWithCustomToken(auth, token) of the Firebase JS SDK, as REST: the Auth
    emulator's answer (``idToken``, ``refreshToken``)."""
    answer = requests.post(
        f"{emulators.url('auth')}/identitytoolkit.googleapis.com/v1/"
        "accounts:signInWithCustomToken?key=any",
        json={"token": custom_token, "returnSecureToken": True},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def claims_of(jwt: str) -> dict[str, Any]:
    body = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


@dataclass
class Person:
    """A firegate account, and the Firebase client app it signs in to."""

    firegate: str  # firegate's base URL
    emulators: Any
    user_id: str
    access_token: str
    id_token: str = ""
    refresh_token: str = ""

    def custom_token(self) -> requests.Response:
        return requests.post(
            f"{self.firegate}/auth/firebase/custom-token",
            headers=bearer(self.access_token),
            timeout=60,
        )

    def sign_in_to_firebase(self) -> dict[str, Any]:
        """signInWithCustomToken(auth, token) of the Firebase JS SDK, as REST."""
        minted = self.custom_token()
        assert minted.status_code == 200, minted.text
        answer = firebase_sign_in(self.emulators, minted.json()["custom_token"])
        self.id_token, self.refresh_token = answer["idToken"], answer["refreshToken"]
        return claims_of(self.id_token)

    def refresh_firebase(self) -> dict[str, Any]:
        """What the SDK does hourly: a new ID token from its refresh token."""
        answer = requests.post(
            f"{self.emulators.url('auth')}/securetoken.googleapis.com/v1/token?key=any",
            data={"grant_type": "refresh_token", "refresh_token": self.refresh_token},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        self.id_token = answer.json()["id_token"]
        return claims_of(self.id_token)

    def document(self, path: str) -> str:
        return (
            f"{self.emulators.url('firestore')}/v1/projects/{self.emulators.project}"
            f"/databases/(default)/documents/{path}"
        )

    def read(self, path: str) -> requests.Response:
        """getDoc(doc(db, path)) as this user."""
        return requests.get(
            self.document(path), headers={"Authorization": f"Bearer {self.id_token}"}, timeout=30
        )

    def write(self, path: str, name: str) -> requests.Response:
        """setDoc(doc(db, path), {name}) as this user."""
        return requests.patch(
            self.document(path),
            json={"fields": {"name": {"stringValue": name}}},
            headers={"Authorization": f"Bearer {self.id_token}"},
            timeout=30,
        )


def person(url: str, emulators: Any, username: str) -> Person:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    created = requests.post(f"{url}/register", json=body, timeout=60)
    assert created.status_code == 201, created.text
    login = requests.post(
        f"{url}/login", json={"username": username, "password": PASSWORD}, timeout=60
    )
    assert login.status_code == 200, login.text
    return Person(url, emulators, created.json()["id"], login.json()["access_token"])


def in_org(someone: Person, org: str) -> None:
    """POST /auth/org: the person's next custom tokens name the org."""
    switched = requests.post(
        f"{someone.firegate}/auth/org",
        json={"org": org},
        headers=bearer(someone.access_token),
        timeout=60,
    )
    assert switched.status_code == 200, switched.text
    someone.access_token = switched.json()["access_token"]
