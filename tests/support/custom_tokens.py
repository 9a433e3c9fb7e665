"""The Firebase custom-token route on the fakes: its fake minter swapped in (the fixtures
``custom_tokens`` and ``adapters``), a token's payload, an account signed in
(tests/unit/federation/test_firebase_custom_token.py, and a unit's claims in it)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from bootstrap import Adapters
from tests.fakes.federation import FakeCustomTokens
from tests.support.api import login, register
from tests.support.app import swap

PATH = "/auth/firebase/custom-token"


@pytest.fixture
def custom_tokens() -> FakeCustomTokens:
    return FakeCustomTokens()


@pytest.fixture
def adapters(adapters: Adapters, custom_tokens: FakeCustomTokens) -> Adapters:
    return swap(adapters, custom_tokens=custom_tokens)


def payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def signed_in(client: FlaskClient, username: str = "alice") -> tuple[str, str]:
    """The new account's id and an access token of it."""
    user_id: str = register(client, username)["id"]
    return user_id, login(client, username)
