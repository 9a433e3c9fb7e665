"""The passkeys' pages on the app on the fakes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from tests.fakes.kernel import InMemoryStore
from tests.fakes.signin import FakeChallengeRepository, FakePasskeyRepository
from tests.support.api import PASSWORD
from tests.support.app import app_on, fake_adapters, swap
from tests.support.pages import csrf
from tests.support.settings import make_settings

ACCOUNT = "/account"
SECURITY = "/account/security"  # where the passkeys are


@dataclass
class Pages:
    client: FlaskClient
    store: InMemoryStore
    passkeys: FakePasskeyRepository
    challenges: FakeChallengeRepository

    def browser(self) -> FlaskClient:
        """Another browser, without this one's cookies."""
        client: FlaskClient = self.client.application.test_client()
        return client


def pages(**settings: Any) -> Pages:
    config = make_settings(**settings)
    store = InMemoryStore()
    passkeys = FakePasskeyRepository(store)  # a deletion reads the account (its ways in)
    challenges = FakeChallengeRepository()
    adapters = swap(fake_adapters(config, store), passkeys=passkeys, challenges=challenges)
    app = app_on(config, adapters)
    return Pages(app.test_client(), store, passkeys, challenges)


def sign_up(client: FlaskClient, name: str = "alice") -> None:
    form = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    answer = client.post("/sign-up", data={**form, "csrf_token": csrf(client)})
    assert answer.status_code == 303 and answer.headers["Location"] == ACCOUNT
