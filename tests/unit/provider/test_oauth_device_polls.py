"""The device flow's pending polls, answered before Authlib's grant
(interfaces/provider/server/device_polls.py): as the grant answers them, and every other poll
left to the grant (docs/decisions/0296-device-polls-before-authlib.md). Flask's test client
on the fakes."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask import Response

from application.provider.authorization.device import PollDevice, StartDevice
from domain.clients.oauth import DEVICE_CODE
from domain.provider.device_flow import DeviceAuthorization
from interfaces.provider.routes import server
from interfaces.provider.server.device_polls import pending_answer
from tests.fakes.kernel import FakeClock
from tests.fakes.provider import FakeDeviceAuthorizations, FakeOAuthGrants
from tests.support.dpop import DpopKey
from tests.support.oauth import OAuthWorld, device_client, device_flow, enter, poll

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def poll_form(client: dict[str, Any], device_code: str, basic: bool = False) -> dict[str, Any]:
    """A poll's form and headers: the client's secret in the form, or by HTTP Basic."""
    data = {"grant_type": DEVICE_CODE, "device_code": device_code}
    headers: dict[str, str] = {}
    secret = client.get("client_secret")
    if basic and secret is not None:
        pair = f"{client['client_id']}:{secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        data["client_id"] = client["client_id"]
        if secret is not None:
            data["client_secret"] = secret
    return {"data": data, "headers": headers}


def start(world: OAuthWorld, client: dict[str, Any], scope: str = "openid") -> dict[str, Any]:
    """A device authorization request of ``client``, with its secret if it has one."""
    form = {"client_id": client["client_id"], "scope": scope}
    if "client_secret" in client:
        form["client_secret"] = client["client_secret"]
    answer = world.client.post("/oauth/device_authorization", data=form)
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def fast(
    world: OAuthWorld,
    request: dict[str, Any],
    path: str = "/oauth/token",
    base_url: str = "http://127.0.0.1:8000",
) -> Any:
    """What the fast path answers (None: it leaves the poll to Authlib)."""
    with world.app.test_request_context(path, base_url=base_url, method="POST", **request):
        return pending_answer(server())


def by_the_grant(world: OAuthWorld, request: dict[str, Any]) -> Response:
    """What Authlib's grant answers, without the fast path."""
    with world.app.test_request_context("/oauth/token", method="POST", **request):
        found: Response = server().create_token_response()
        return found


def same(one: Response, other: Response) -> None:
    assert one.status_code == other.status_code == 400
    assert one.get_json() == other.get_json()
    assert one.get_json()["error_description"]
    assert list(one.headers.items()) == list(other.headers.items())
    assert one.headers["Cache-Control"] == "no-store" and one.headers["Pragma"] == "no-cache"


@pytest.mark.parametrize(
    ("extra", "basic"),
    [((), False), (("--confidential",), False), (("--confidential",), True)],
    ids=["public", "confidential-post", "confidential-basic"],
)
def test_a_pending_poll_is_answered_before_the_grant_as_the_grant_answers_it(
    world: OAuthWorld, extra: tuple[str, ...], basic: bool
) -> None:
    client = device_client(world, *extra)
    mine, theirs = start(world, client), start(world, client)
    ours = poll_form(client, mine["device_code"], basic)
    grants = poll_form(client, theirs["device_code"], basic)
    for error in ("authorization_pending", "slow_down"):  # the second poll comes too soon
        answered, expected = fast(world, ours), by_the_grant(world, grants)
        assert isinstance(answered, Response), error
        same(answered, expected)
        assert expected.get_json()["error"] == error
    through_the_route = world.client.post("/oauth/token", **ours)
    assert through_the_route.get_json() == {
        "error": "slow_down",
        "error_description": "Polled sooner than the interval: wait five seconds more.",
    }
    assert through_the_route.headers["Cache-Control"] == "no-store"


def test_every_other_poll_is_left_to_the_grant_and_answered_as_before(world: OAuthWorld) -> None:
    client, service = device_client(world), device_client(world, "--confidential")
    waiting = start(world, client)
    left: list[tuple[dict[str, Any], str]] = []

    def leaves(request: dict[str, Any], error: str, path: str = "/oauth/token") -> None:
        assert fast(world, request, path) is None, error
        left.append((request, error))

    wrong = {**service, "client_secret": "not-its-secret"}
    leaves(poll_form(wrong, start(world, service)["device_code"]), "invalid_client")
    leaves(poll_form(wrong, start(world, service)["device_code"], basic=True), "invalid_client")
    nobody = {"client_id": "nobody"}
    leaves(poll_form(nobody, waiting["device_code"]), "invalid_client")
    plain = world.register(name="Not opted in")
    leaves(poll_form(plain, "x" * 64 + ".y"), "unauthorized_client")
    leaves(poll_form(client, "a" * 64 + "." + "b" * 43), "invalid_grant")
    other = device_client(world)
    leaves(poll_form(other, waiting["device_code"]), "invalid_grant")
    leaves(poll_form(client, ""), "invalid_request")
    required = device_client(world, "--dpop-required")
    leaves(poll_form(required, start(world, required)["device_code"]), "invalid_dpop_proof")
    denied = start(world, client, "openid")
    assert enter(world, denied["user_code"], decision="deny").status_code == 200
    leaves(poll_form(client, denied["device_code"]), "access_denied")
    for request, error in left:
        answer = world.client.post("/oauth/token", **request)
        assert answer.status_code in (400, 401) and answer.get_json()["error"] == error
    # Plain http off loopback, a query string or a DPoP proof: the grant answers.
    queried = poll_form(client, start(world, client)["device_code"])
    # (off loopback on a host the service answers: its PUBLIC_URL, another is refused 421)
    plain_world = OAuthWorld(public_url="http://tv.example")
    assert fast(plain_world, queried, base_url="http://tv.example") is None
    insecure = plain_world.client.post("/oauth/token", **queried)
    assert insecure.get_json()["error"] == "insecure_transport"
    assert fast(world, queried, "/oauth/token?x=1") is None
    answer = world.client.post("/oauth/token?x=1", **queried)
    assert answer.get_json()["error"] == "authorization_pending"
    proven = poll_form(client, start(world, client)["device_code"])
    proven["headers"]["DPoP"] = DpopKey().proof()
    assert fast(world, proven) is None
    proved = world.client.post("/oauth/token", **proven)
    assert proved.get_json()["error"] == "authorization_pending"


def test_an_approved_request_is_left_to_the_grant_which_gives_its_tokens(
    world: OAuthWorld,
) -> None:
    client = device_client(world)
    started = start(world, client, "openid")
    assert poll(world, client, started["device_code"]).get_json()["error"] == (
        "authorization_pending"
    )
    assert enter(world, started["user_code"], decision="allow").status_code == 200
    assert fast(world, poll_form(client, started["device_code"])) is None
    world.clock.advance(seconds=6)
    tokens = poll(world, client, started["device_code"])
    assert tokens.status_code == 200 and tokens.get_json()["token_type"] == "Bearer"
    again = poll(world, client, started["device_code"])
    assert again.get_json()["error"] == "invalid_grant"


def test_poll_pending_answers_only_a_pending_request_and_shares_the_polls_memory() -> None:
    devices, clock = FakeDeviceAuthorizations(FakeOAuthGrants()), FakeClock()
    flow = device_flow(devices, clock)
    started = flow.start_device(StartDevice("c1", "openid"))

    def polled(device_code: str, client_id: str = "c1") -> str | None:
        found = flow.poll_pending(PollDevice(device_code, client_id))
        if isinstance(found, DeviceAuthorization):
            return "read"  # not pending: poll_device answers it from this read
        return found.outcome if found is not None else None

    assert polled(started.device_code) == "pending"
    assert polled(started.device_code) == "slow_down"
    (request,) = devices.requests.values()
    assert devices.requests[request.key].interval == 10  # widened, as poll_device widens it
    assert polled(started.device_code, "c2") == "read"  # another client's
    assert polled(started.device_code + "x") == "read"  # not its code
    assert polled("nodot") is None
    clock.advance(minutes=11)
    assert polled(started.device_code) == "read"  # expired: poll_device says so
