"""The CustomTokenMinter port, run against the fake and against firebase-admin: each token
signs in on the Auth emulator as the uid it names, with its claims in the ID token."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from application.ports import CustomTokenMinter
from domain.errors import Unavailable
from domain.ids import new_id
from tests.fakes.federation import FakeCustomTokens

pytestmark = pytest.mark.contract


@pytest.fixture(params=["fake", "firebase"])
def minter(request: pytest.FixtureRequest, clean_emulators: Any) -> CustomTokenMinter:
    if request.param == "fake":
        return FakeCustomTokens()
    from infrastructure.federation.firebase_identity import FirebaseCustomTokens

    return FirebaseCustomTokens(project=clean_emulators.project)


def claims_of(jwt: str) -> dict[str, Any]:
    body = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def sign_in(emulators: Any, custom_token: str) -> requests.Response:
    """What the client SDK's signInWithCustomToken() sends."""
    return requests.post(
        f"{emulators.url('auth')}/identitytoolkit.googleapis.com/v1/"
        "accounts:signInWithCustomToken?key=any",
        json={"token": custom_token, "returnSecureToken": True},
        timeout=10,
    )


def test_the_token_signs_in_as_its_uid_with_its_claims(
    minter: CustomTokenMinter, clean_emulators: Any
) -> None:
    uid = new_id()
    token = minter.mint(uid, {"role": "uploader", "token_version": 3})
    assert isinstance(token, str) and token.count(".") == 2
    assert claims_of(token)["uid"] == uid
    answer = sign_in(clean_emulators, token)
    assert answer.status_code == 200, answer.text
    id_token = claims_of(answer.json()["idToken"])
    assert id_token["sub"] == id_token["user_id"] == uid
    assert id_token["role"] == "uploader" and id_token["token_version"] == 3
    assert id_token["aud"] == clean_emulators.project
    assert id_token["firebase"]["sign_in_provider"] == "custom"


def test_each_mint_is_a_token_of_its_own(minter: CustomTokenMinter, clean_emulators: Any) -> None:
    first, second = new_id(), new_id()
    a, b = minter.mint(first, {"role": "user"}), minter.mint(second, {"role": "admin"})
    for token, uid, role in ((a, first, "user"), (b, second, "admin")):
        answer = sign_in(clean_emulators, token)
        assert answer.status_code == 200, answer.text
        claims = claims_of(answer.json()["idToken"])
        assert (claims["sub"], claims["role"]) == (uid, role)


@pytest.mark.parametrize("name", ["acr", "amr", "auth_time", "firebase"])
def test_a_claim_firebase_keeps_for_its_own_is_refused(
    minter: CustomTokenMinter, name: str
) -> None:
    """firegate names the sign-in's class ``sign_in_acr`` in a custom token for this."""
    with pytest.raises(Unavailable):
        minter.mint(new_id(), {"role": "user", name: "urn:firegate:acr:pwd"})
    assert claims_of(minter.mint(new_id(), {"sign_in_acr": "urn:firegate:acr:pwd"}))
