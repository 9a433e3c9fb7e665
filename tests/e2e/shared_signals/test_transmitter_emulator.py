"""The SSF transmitter on the Firestore emulator, through the app in the test's process
(docs/reference/ssf.md): a push receiver in the test gets the SETs of a followed account's
session ends, in order, over HTTP, signed by the keys the provider publishes, and none of
an account its stream does not follow; a poll stream's SETs taken and acknowledged; thirty
creates of one client's stream at once, one 201 and the others 409."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import jwt
import pytest

from infrastructure.firestore.events.outbox import EVENT_OUTBOX
from tests.fakes.kernel import FakeJobQueue
from tests.support.api import bearer
from tests.support.app import app_on_emulator, deliver_jobs
from tests.support.local_servers import in_thread
from tests.support.oauth import EmulatorWorld
from tests.support.pages import PASSWORD, sign_up
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

PUSH, POLL = "urn:ietf:rfc:8935", "urn:ietf:rfc:8936"
REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
VERIFICATION = "https://schemas.openid.net/secevent/ssf/event-type/verification"


class Receiver(BaseHTTPRequestHandler):
    """An RFC 8935 receiver: keeps each SET with its headers, answers 202."""

    received: ClassVar[list[tuple[dict[str, str], str]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        with self.lock:
            self.received.append((dict(self.headers.items()), body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    with in_thread(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/ssf/events"


class World(EmulatorWorld):
    def __init__(self, firestore: Any) -> None:
        self.firestore, self.queue = firestore, FakeJobQueue()
        super().__init__(app_on_emulator(make_settings(), firestore, self.queue))
        self.rp = self.register("--confidential", "--ssf", name="Receiver")
        answer = self.post_token(self.rp, grant_type="client_credentials")
        self.headers = bearer(answer.get_json()["access_token"])

    def deliver(self, *, final: bool = False) -> None:
        deliver_jobs(self.queue, self.services, final=final)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.open(path, method=method, headers=self.headers, **kwargs)

    def session(self, name: str = "alice") -> tuple[str, dict[str, str]]:
        answer = self.client.post("/login", json={"username": name, "password": PASSWORD})
        assert answer.status_code == 200, answer.get_json()
        headers = bearer(answer.get_json()["access_token"])
        user_id: str = self.client.get("/auth/whoami", headers=headers).get_json()["user_id"]
        return user_id, headers

    def verified(self, token: str) -> dict[str, Any]:
        keys = jwt.PyJWKSet.from_dict(self.client.get("/.well-known/jwks.json").get_json())
        header = jwt.get_unverified_header(token)
        assert header["typ"] == "secevent+jwt"
        claims: dict[str, Any] = jwt.decode(
            token,
            keys[header["kid"]].key,
            algorithms=[header["alg"]],
            audience=self.rp["client_id"],
        )
        return claims


@pytest.fixture
def world(firestore: Any) -> World:
    return World(firestore)


def test_a_push_receiver_gets_a_followed_accounts_session_ends_in_order(
    world: World, receiver: str
) -> None:
    Receiver.received.clear()
    created = world.call(
        "POST",
        "/ssf/streams",
        json={
            "delivery": {
                "method": PUSH,
                "endpoint_url": receiver,
                "authorization_header": "Bearer r",
            },
            "events_requested": [REVOKED],
        },
    )
    assert created.status_code == 201, created.get_json()
    stream_id = created.get_json()["stream_id"]
    user_id, first = world.session()
    _, second = world.session()
    subject = {"format": "opaque", "id": user_id}
    added = world.call(
        "POST", "/ssf/streams/subjects:add", json={"stream_id": stream_id, "subject": subject}
    )
    assert added.status_code == 200
    sign_up(world, "bob")  # not followed: his session's end is sent to nobody
    _, bobs = world.session("bob")
    assert world.client.post("/auth/logout", headers=bobs).status_code == 204
    assert world.client.post("/auth/logout", headers=second).status_code == 204
    assert world.client.post("/auth/logout?all=true", headers=first).status_code == 204
    verify = world.call("POST", "/ssf/streams/verify", json={"stream_id": stream_id, "state": "x"})
    assert verify.status_code == 204
    world.deliver()
    assert [headers["Authorization"] for headers, _ in Receiver.received] == ["Bearer r"] * 3
    assert {h["Content-Type"] for h, _ in Receiver.received} == {"application/secevent+jwt"}
    sets = [world.verified(body) for _, body in Receiver.received]
    assert [list(claims["events"]) for claims in sets] == [[REVOKED], [REVOKED], [VERIFICATION]]
    assert [claims["sub_id"] for claims in sets[:2]] == [subject, subject]
    assert sets[2]["events"][VERIFICATION] == {"state": "x"}
    assert not list(world.firestore.collection(EVENT_OUTBOX).stream())  # all delivered


def test_a_poll_receiver_takes_its_sets_and_acknowledges_them(world: World) -> None:
    created = world.call("POST", "/ssf/streams", json={"events_requested": [REVOKED]})
    stream_id = created.get_json()["stream_id"]
    assert created.get_json()["delivery"]["endpoint_url"].endswith(f"/ssf/poll/{stream_id}")
    user_id, headers = world.session()
    subject = {"format": "opaque", "id": user_id}
    world.call(
        "POST", "/ssf/streams/subjects:add", json={"stream_id": stream_id, "subject": subject}
    )
    assert world.client.post("/auth/logout?all=true", headers=headers).status_code == 204
    world.deliver()
    polled = world.call("POST", f"/ssf/poll/{stream_id}", json={"returnImmediately": True})
    [(jti, token)] = polled.get_json()["sets"].items()
    assert world.verified(token)["jti"] == jti and polled.get_json()["moreAvailable"] is False
    acked = world.call("POST", f"/ssf/poll/{stream_id}", json={"ack": [jti]})
    assert acked.get_json() == {"sets": {}, "moreAvailable": False}


def test_thirty_creates_of_one_clients_stream_one_wins(world: World) -> None:
    body = {"delivery": {"method": POLL}}
    outcomes = race(
        world.app,
        [lambda client: client.post("/ssf/streams", json=body, headers=world.headers)] * RACERS,
    )
    assert statuses(outcomes) == {201: 1, 409: RACERS - 1}
    assert {o.code for o in outcomes if o.status == 409} == {"stream_exists"}
    assert len(world.call("GET", "/ssf/streams").get_json()) == 1
