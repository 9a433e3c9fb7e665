"""An app on the fakes with a relying party registered with ``--ssf`` and its own access
token, and a person, alice, whose events it may follow (docs/reference/ssf.md)."""

from __future__ import annotations

from typing import Any

import jwt
from werkzeug.test import TestResponse

from bootstrap.clients import ClientsAdapters
from tests.support.api import bearer
from tests.support.app import unit_adapters
from tests.support.oauth import OAuthWorld
from tests.support.pages import PASSWORD
from tests.unit.shared_signals.fakes import FakeSetPusher, FakeTransmitterStore, linked

RECEIVER = "https://receiver.example.com/events"


class TransmitterWorld(OAuthWorld):
    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        self.own = unit_adapters(self.adapters, "shared_signals")
        linked(self.own, self.store, self.adapters.of(ClientsAdapters).oauth_clients)
        self.rp = self.register("--confidential", "--ssf", name="Receiver")
        self.headers = self.client_headers(self.rp)

    @property
    def store_of(self) -> FakeTransmitterStore:
        store: FakeTransmitterStore = self.own.transmitter.store
        return store

    @property
    def pusher(self) -> FakeSetPusher:
        pusher: FakeSetPusher = self.own.transmitter.pusher
        return pusher

    def client_headers(self, client: dict[str, Any]) -> dict[str, str]:
        answer = self.post_token(client, grant_type="client_credentials")
        assert answer.status_code == 200, answer.get_json()
        return bearer(answer.get_json()["access_token"])

    def call(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        return self.client.open(path, method=method, headers=self.headers, **kwargs)

    def create(self, **body: Any) -> dict[str, Any]:
        answer = self.call("POST", "/ssf/streams", json=body)
        assert answer.status_code == 201, answer.get_json()
        found: dict[str, Any] = answer.get_json()
        return found

    def alice(self) -> tuple[str, dict[str, str]]:
        """alice's id and a session's bearer header."""
        answer = self.client.post("/login", json={"username": "alice", "password": PASSWORD})
        assert answer.status_code == 200, answer.get_json()
        headers = bearer(answer.get_json()["access_token"])
        user_id: str = self.client.get("/auth/whoami", headers=headers).get_json()["user_id"]
        return user_id, headers

    def follow(self, stream_id: str, user_id: str) -> None:
        subject = {"format": "opaque", "id": user_id}
        answer = self.call(
            "POST", "/ssf/streams/subjects:add", json={"stream_id": stream_id, "subject": subject}
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)

    def keys(self) -> jwt.PyJWKSet:
        return jwt.PyJWKSet.from_dict(self.client.get("/.well-known/jwks.json").get_json())

    def verified(self, token: str) -> dict[str, Any]:
        """A SET's claims, its signature checked against the published keys."""
        header = jwt.get_unverified_header(token)
        assert header["typ"] == "secevent+jwt"
        key = self.keys()[header["kid"]]
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[header["alg"]],
            audience=self.rp["client_id"],
            options={"verify_iat": False},  # the app's clock is a fake's
        )
        return claims
