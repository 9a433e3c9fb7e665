"""The ``before_sign_up`` hook on the Firestore emulator, against a receiver this suite starts
that verifies every call's signature as an operator's would (docs/hooks.md): allowed, denied
with its message (by POST /register, by a mailed code, by an upstream provider's sign-in),
the names it gives, a slow receiver cut at the deadline and then ``on_failure`` both ways, an
answer of the wrong shape, and thirty sign-ups at once through a slow hook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.hooks.admin import AuthHookRef, ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from application.hooks.sign_up import FAILED_CLOSED
from tests.support.api import PASSWORD, assert_problem, bearer, services
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.oidc_idp import (
    OidcIdpForTests,
    oidc_idp,
)
from tests.support.races import RACERS, race, statuses
from tests.support.upstream_service import UpstreamService
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.e2e


class Service(UpstreamService):
    """The sign-up tests' service, whose before_sign_up hook calls the test's receiver."""

    def hook(self, receiver: HookReceiver, **fields: Any) -> None:
        """The service's one before_sign_up hook calls ``receiver`` (any before removed)."""
        admin = services(self.app).of(HookServices).hooks
        for view in admin.list(ListAuthHooks(ADMIN)):
            admin.remove(AuthHookRef(ADMIN, view.hook.hook_id))
        created = admin.set(SetAuthHook(ADMIN, "before_sign_up", receiver.url, **fields))
        receiver.secret = created.secret

    def calls(self) -> list[Any]:
        [view] = services(self.app).of(HookServices).hooks.list(ListAuthHooks(ADMIN))
        return view.calls


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcIdpForTests]:
    with oidc_idp() as found:
        yield found


@pytest.fixture
def service(firestore: Any, idp: OidcIdpForTests) -> Service:
    return Service(firestore, idp)


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    with hook_receiver() as found:
        yield found


def body(username: str, **more: str) -> dict[str, str]:
    return {"username": username, "email": f"{username}@example.com", "password": PASSWORD, **more}


def signs_in(client: FlaskClient, name: str) -> bool:
    answer = client.post("/login", json={"username": name, "password": PASSWORD})
    return answer.status_code == 200


def test_an_allowed_sign_up_is_made_with_the_names_the_hook_gives(
    service: Service, receiver: HookReceiver
) -> None:
    service.hook(receiver)
    receiver.answer = lambda payload: {
        "decision": "allow",
        "user": {"name": "Ada", "last_name": "Lovelace"},
    }
    made = service.client.post("/register", json=body("ada", name="Augusta"))
    assert made.status_code == 201, made.get_json()
    token = service.client.post("/login", json={"username": "ada", "password": PASSWORD})
    profile = service.client.get("/user", headers=bearer(token.get_json()["access_token"]))
    assert (profile.get_json()["name"], profile.get_json()["last_name"]) == ("Ada", "Lovelace")
    [payload] = receiver.received
    assert payload["user"] == {
        "email": "ada@example.com",
        "username": "ada",
        "method": "register",
        "provider": None,
        "org_id": None,
    }
    assert payload["context"]["ip"] == "127.0.0.1" and payload["context"]["user_agent"]
    assert "password" not in str(payload) and PASSWORD not in str(payload)
    assert receiver.refused == []
    [call] = service.calls()
    assert call.outcome.value == "ok" and call.status == 200


def test_a_denial_is_a_403_with_the_hooks_message_for_every_way(
    service: Service, receiver: HookReceiver
) -> None:
    service.hook(receiver)
    receiver.answer = lambda payload: {"decision": "deny", "message": "Invitation only, sorry."}
    denied = service.client.post("/register", json=body("bob"))
    problem = assert_problem(denied, 403, "signup_denied")
    assert problem["detail"] == "Invitation only, sorry."
    assert not signs_in(service.client, "bob")
    by_code = service.by_code("carol@example.com")
    assert assert_problem(by_code, 403, "signup_denied")["detail"] == "Invitation only, sorry."
    upstream = service.upstream("dan@example.com", "sub-dan")
    assert upstream.status_code == 403
    assert "Invitation only, sorry." in upstream.get_data(as_text=True)
    methods = [p["user"]["method"] for p in receiver.received]
    assert methods == ["register", "email_code", "upstream"]
    assert receiver.received[2]["user"]["provider"] == "corp"


@pytest.mark.parametrize("on_failure", ["allow", "deny"])
def test_a_slow_receiver_is_cut_at_the_deadline_then_on_failure_decides(
    service: Service, receiver: HookReceiver, on_failure: str
) -> None:
    service.hook(receiver, timeout_ms=300, on_failure=on_failure)
    receiver.delay = 2.0
    receiver.answer = lambda payload: {"decision": "allow"}
    answer = service.client.post("/register", json=body("erin"))
    if on_failure == "allow":
        assert answer.status_code == 201, answer.get_json()
        assert signs_in(service.client, "erin")
    else:
        assert assert_problem(answer, 403, "signup_denied")["detail"] == FAILED_CLOSED
        assert not signs_in(service.client, "erin")
    [call] = service.calls()
    assert (call.outcome.value, call.error, call.status) == ("timeout", "deadline_exceeded", None)


@pytest.mark.parametrize(
    "answer",
    [
        {"decision": "maybe"},
        b"<html>no</html>",
        (500, {"decision": "allow"}),
        # JSON whose strings are not text: a lone surrogate where a name or a message goes
        b'{"decision": "allow", "user": {"name": "Ada\\ud800"}}',
        b'{"decision": "deny", "message": "\\udfff"}',
    ],
    ids=["wrong-shape", "not-json", "status-500", "surrogate-name", "surrogate-message"],
)
def test_an_answer_that_is_not_one_is_a_failure(
    service: Service, receiver: HookReceiver, answer: Any
) -> None:
    service.hook(receiver, on_failure="deny")
    receiver.answer = lambda payload: answer
    assert_problem(service.client.post("/register", json=body("finn")), 403, "signup_denied")
    service.hook(receiver, on_failure="allow")  # in its place: a new secret, the same receiver
    assert service.client.post("/register", json=body("finn")).status_code == 201
    outcomes = {call.outcome.value for call in service.calls()}
    assert outcomes <= {"bad_answer", "status"} and len(outcomes) == 1
    if isinstance(answer, bytes) and b"\\u" in answer:
        assert {call.error for call in service.calls()} == {"not_text"}


def test_thirty_sign_ups_at_once_through_a_slow_hook_each_answered_once_per_address(
    service: Service, receiver: HookReceiver
) -> None:
    service.hook(receiver, timeout_ms=3000)
    receiver.delay = 0.3
    receiver.answer = lambda payload: {"decision": "allow"}
    addresses = [f"racer{n % 10}" for n in range(RACERS)]  # each address three times

    def sign_up(name: str) -> Any:
        return lambda client: client.post("/register", json=body(name))

    outcomes = race(service.app, [sign_up(name) for name in addresses])
    counted = statuses(outcomes)
    assert counted[201] == 10 and counted[201] + counted[409] == RACERS, counted
    assert all(signs_in(service.client, f"racer{n}") for n in range(10))
    assert len(receiver.received) == RACERS and receiver.refused == []
