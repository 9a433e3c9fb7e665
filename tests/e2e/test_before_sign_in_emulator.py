"""The ``before_sign_in`` hook on the emulators, against a receiver this suite starts that
verifies every call's signature as an operator's would (docs/hooks.md, "before_sign_in"):
its session claims stored with the session and in its refreshed tokens, a deny that stores
nothing (by password, a mailed code, an upstream provider, Firebase), a required factor, a
slow receiver resolved by ``on_failure``, and thirty sign-ins at once through a denying hook
that leave no session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from application.hooks.admin import ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from domain.hooks.before_sign_in import FAILED_CLOSED
from infrastructure.firestore.accounts.users import SESSIONS
from tests.support.api import PASSWORD, assert_problem, register, services
from tests.support.corp_sso import corp, oidc_sign_in, saml_sign_in
from tests.support.firebase_auth import firebase_auth
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.oidc_idp import OidcIdpForTests, oidc_idp
from tests.support.races import RACERS, race, statuses
from tests.support.upstream_service import UpstreamService
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.e2e
serial = itertools.count()
DENY = {"decision": "deny", "message": "Not from this network."}


class Service(UpstreamService):
    """The sign-in tests' service, whose before_sign_in hook calls the test's receiver."""

    def hook(self, receiver: HookReceiver, **fields: Any) -> None:
        created = (
            services(self.app)
            .of(HookServices)
            .hooks.set(SetAuthHook(ADMIN, "before_sign_in", receiver.url, **fields))
        )
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


def login(service: Service, name: str = "ada") -> Any:
    return service.client.post("/login", json={"username": name, "password": PASSWORD})


def claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


def sessions(firestore: Any) -> list[dict[str, Any]]:
    return [doc.to_dict() for doc in firestore.collection(SESSIONS).stream()]


def test_session_claims_are_stored_and_carried_into_the_refreshed_token(
    service: Service, receiver: HookReceiver, firestore: Any
) -> None:
    register(service.client, "ada")
    service.hook(receiver)
    receiver.answer = lambda payload: {"decision": "allow", "session_claims": {"tier": "gold"}}
    pair = login(service).get_json()
    assert claims(pair["access_token"])["tier"] == "gold"
    [stored] = sessions(firestore)
    assert stored["claims"] == {"tier": "gold"}
    refreshed = service.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    assert claims(refreshed.get_json()["access_token"])["tier"] == "gold"
    [payload] = receiver.received
    assert (payload["method"], payload["amr"], payload["client"]) == ("password", ["pwd"], None)
    assert payload["user"]["username"] == "ada" and payload["context"]["ip"] == "127.0.0.1"
    assert PASSWORD not in str(payload) and receiver.refused == []
    [call] = service.calls()
    assert call.outcome.value == "ok"


def test_a_deny_stores_nothing_for_every_way(
    service: Service, receiver: HookReceiver, firestore: Any, clean_emulators: Any
) -> None:
    register(service.client, "ada", email="ada@example.com")
    service.hook(receiver)
    receiver.answer = lambda payload: DENY
    by_password = assert_problem(login(service), 403, "signin_denied")
    assert by_password["detail"] == "Not from this network."
    by_code = service.by_code("ada@example.com")
    assert assert_problem(by_code, 403, "signin_denied")["detail"] == "Not from this network."
    upstream = service.upstream("dan@example.com", "sub-dan")
    assert upstream.status_code == 403
    assert "Not from this network." in upstream.get_data(as_text=True)
    with firebase_auth(clean_emulators, f"before-sign-in-{next(serial)}") as firebase:
        firebase.create("fern@example.com")
        body = {"id_token": firebase.sign_in("fern@example.com")}
        by_firebase = service.client.post("/auth/firebase", json=body)
    assert assert_problem(by_firebase, 403, "signin_denied")["detail"] == "Not from this network."
    assert sessions(firestore) == []
    methods = [p["method"] for p in receiver.received]
    assert methods == ["password", "email_code", "upstream", "firebase"]


def test_a_required_factor_the_account_lacks_is_refused(
    service: Service, receiver: HookReceiver, firestore: Any
) -> None:
    register(service.client, "ada")
    service.hook(receiver)
    receiver.answer = lambda payload: {"decision": "require", "require": ["otp"]}
    assert_problem(login(service), 403, "signin_factor_unavailable")
    assert sessions(firestore) == []


@pytest.mark.parametrize("on_failure", ["allow", "deny"])
def test_a_slow_receiver_is_cut_then_on_failure_decides(
    service: Service, receiver: HookReceiver, on_failure: str
) -> None:
    register(service.client, "ada")
    service.hook(receiver, timeout_ms=300, on_failure=on_failure)
    receiver.delay = 2.0
    receiver.answer = lambda payload: {"decision": "allow"}
    answer = login(service)
    if on_failure == "allow":
        assert answer.status_code == 200, answer.get_json()
    else:
        assert assert_problem(answer, 403, "signin_denied")["detail"] == FAILED_CLOSED
    [call] = service.calls()
    assert call.outcome.value == "timeout"


def test_thirty_sign_ins_at_once_through_a_denying_hook_leave_no_session(
    service: Service, receiver: HookReceiver, firestore: Any
) -> None:
    register(service.client, "ada")
    service.hook(receiver, timeout_ms=3000)
    receiver.delay = 0.2
    receiver.answer = lambda payload: DENY

    def sign_in(client: Any) -> Any:
        return client.post("/login", json={"username": "ada", "password": PASSWORD})

    counted = statuses(race(service.app, [sign_in] * RACERS))
    assert counted[403] + counted.get(429, 0) == RACERS and 500 not in counted, counted
    assert sessions(firestore) == []
    assert len(receiver.received) == counted[403] and receiver.refused == []


@pytest.mark.usefixtures("emptied_after")  # an active connection left would change sign-ins
@pytest.mark.parametrize("kind", ["saml", "oidc"])
def test_a_deny_of_an_orgs_single_sign_on_stores_no_session(
    service: Service, receiver: HookReceiver, firestore: Any, idp: OidcIdpForTests, kind: str
) -> None:
    owner = corp(service.app, firestore)
    way = (
        saml_sign_in(service.app, owner)
        if kind == "saml"
        else oidc_sign_in(service.app, owner, idp)
    )
    service.hook(receiver)
    receiver.answer = lambda payload: DENY
    kept = len(sessions(firestore))  # the owner's own
    answer = way(service.app.test_client(), "ada@corp.example")
    assert answer.status_code == 403, answer.text
    assert "Not from this network." in answer.text
    assert len(sessions(firestore)) == kept
    [payload] = receiver.received
    assert (payload["method"], payload["amr"]) == ("sso", ["fed"])
    assert payload["org"] is not None and payload["user"]["email"] == "ada@corp.example"
