"""Look-alike usernames over HTTP on the Firestore emulator: 409 for a homoglyph of a taken
name (mixed-script or not), 422 for a new name of mixed scripts, and the claim keyed by the
skeleton."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from domain.accounts.credentials import Username
from infrastructure.firestore.client import claim_id
from tests.support.api import PASSWORD, bearer, login, register

pytestmark = pytest.mark.e2e

DOTLESS_I, CYRILLIC_A, GREEK_O = "\u0131", "\u0430", "\u03bf"


def sign_up(client: FlaskClient, username: str, email: str) -> Any:
    body = {"username": username, "email": email, "password": PASSWORD}
    return client.post("/register", json=body)


def test_homoglyphs_of_taken_names_are_409(real_client: FlaskClient, firestore: Any) -> None:
    alice = register(real_client, "s9900alice")
    register(real_client, "s9900bob")
    claim = firestore.collection("usernames").document(claim_id("s99ooalice")).get()
    assert claim.exists and claim.to_dict()["user_id"] == alice["id"]

    for name in (
        f"s9900al{DOTLESS_I}ce",
        "S9900ALICE",
        "s99ooalice",
        "s99OOb0b",
        f"s9900{CYRILLIC_A}lice",
        f"s9900b{GREEK_O}b",
    ):
        response = sign_up(real_client, name, f"x{len(name)}@example.com")
        assert response.status_code == 409, (name, response.get_json())
        assert response.get_json()["code"] == "username_taken"
    response = sign_up(real_client, f"d{CYRILLIC_A}ve", "y@example.com")  # nobody's look-alike
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "mixed_script_username"

    register(real_client, "carol")
    headers = bearer(login(real_client, "carol"))
    rename = real_client.patch("/user", headers=headers, json={"username": "s9900a1ice"})
    assert rename.status_code == 409 and rename.get_json()["code"] == "username_taken"
    # Only the two accounts and carol hold names; the refused ones left nothing behind.
    held = {snap.id for snap in firestore.collection("usernames").stream()}
    assert held == {claim_id(Username(n).normalized) for n in ("s9900alice", "s9900bob", "carol")}
    # The name's look-alike signs in to that account.
    assert login(real_client, f"S9900AL{DOTLESS_I}CE")
