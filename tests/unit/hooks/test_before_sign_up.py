"""The ``before_sign_up`` hook on the fakes (docs/hooks.md): the attributes it writes as
``hook`` (a refused one is a failed answer), a name no account may have, the request's
address and user agent where a way in names none, and an org's single sign-on making an
account (the hook alone: the sign-up rule does not govern it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from application.accounts.profile_schema import ReplaceProfileSchema
from application.accounts.services import AccountServices
from application.hooks.admin import ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from application.hooks.sign_up import FAILED_CLOSED
from application.signin.authentication import Actor
from bootstrap.accounts import AccountsAdapters
from bootstrap.federation import FederationAdapters
from bootstrap.hooks import HooksAdapters
from tests.fakes.federation import FakeIdentityVerifier
from tests.fakes.hooks import FakeHookClient
from tests.support.api import PASSWORD, assert_problem
from tests.support.app import World
from tests.support.pages import csrf
from tests.support.sso_world import OidcSso, oidc_sso
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
ROOT = Actor("a1", "root", "admin", "s1", datetime(2100, 1, 1, tzinfo=UTC))
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "plan": {"type": "string", "maxLength": 8, "x-write": ["admin", "hook"]},
        "tier": {"type": "string", "x-write": ["admin"]},
    },
}


def hooked(world: World, answer: object, on_failure: str = "allow") -> FakeHookClient:
    """The world's before_sign_up hook, answering ``answer`` (its client is the fake's)."""
    world.services.of(HookServices).hooks.set(
        SetAuthHook(ADMIN, "before_sign_up", "http://127.0.0.1:9/hook", on_failure=on_failure)
    )
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    client.answer = answer
    return client


def sign_up(world: World, name: str) -> Any:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return world.client.post("/register", json=body, headers={"User-Agent": "Tests/1"})


def test_the_attributes_it_gives_are_written_as_the_hook() -> None:
    world = World()
    world.services.of(AccountServices).profile_schemas.replace(ReplaceProfileSchema(ROOT, SCHEMA))
    hooked(world, {"decision": "allow", "user": {"attributes": {"plan": "pro"}}})
    assert sign_up(world, "ada").status_code == 201
    user = world.adapters.of(AccountsAdapters).users.find_by_login("ada")
    assert user is not None and dict(user.attributes) == {"plan": "pro"}


@pytest.mark.parametrize(
    "user",
    [{"attributes": {"tier": "gold"}}, {"attributes": {"nope": 1}}, {"name": "x" * 101}],
    ids=["not-the-hooks-to-write", "unknown", "name-too-long"],
)
@pytest.mark.parametrize("on_failure", ["allow", "deny"])
def test_an_answer_no_account_may_take_is_a_failed_call(
    user: dict[str, Any], on_failure: str
) -> None:
    world = World()
    world.services.of(AccountServices).profile_schemas.replace(ReplaceProfileSchema(ROOT, SCHEMA))
    hooked(world, {"decision": "allow", "user": user}, on_failure)
    answer = sign_up(world, "bob")
    if on_failure == "allow":
        assert answer.status_code == 201
        made = world.adapters.of(AccountsAdapters).users.find_by_login("bob")
        assert made is not None and dict(made.attributes) == {} and made.name is None
    else:
        assert assert_problem(answer, 403, "signup_denied")["detail"] == FAILED_CLOSED
        assert world.adapters.of(AccountsAdapters).users.find_by_login("bob") is None
    [view] = world.services.of(HookServices).hooks.list(ListAuthHooks(ADMIN))
    assert view.calls[0].outcome.value == "bad_answer"


def test_the_request_tells_where_from_and_a_denial_is_recorded() -> None:
    world = World()
    client = hooked(world, {"decision": "deny", "message": "No."})
    assert_problem(sign_up(world, "cyd"), 403, "signup_denied")
    sent = json.loads(client.asked[0][1])
    assert sent["context"] == {"ip": "127.0.0.1", "user_agent": "Tests/1"}
    refused = [e for e in world.audit.events if e.event.value == "signup_refused"]
    assert [(e.reason, e.via) for e in refused] == [("hook_denied", "register")]


@pytest.fixture
def sso() -> Iterator[OidcSso]:
    with oidc_sso() as found:
        yield found


def test_an_org_making_an_account_by_its_single_sign_on_asks_the_hook(sso: OidcSso) -> None:
    client = hooked(sso.world, {"decision": "deny", "message": "Not via SSO."})
    browser = sso.world.app.test_client()
    denied = sso.sign_in(browser, "ada@corp.example")
    assert denied.status_code == 403 and "Not via SSO." in denied.get_data(as_text=True)
    assert sso.user_of("ada@corp.example") is None
    sent = json.loads(client.asked[0][1])["user"]
    assert (sent["method"], sent["org_id"], sent["email"]) == (
        "sso",
        sso.org_id,
        "ada@corp.example",
    )
    client.answer = {"decision": "allow", "user": {"name": "Augusta"}}
    arrived = sso.sign_in(sso.world.app.test_client(), "ada@corp.example")
    assert arrived.status_code == 303, arrived.get_data(as_text=True)
    user = sso.user_of("ada@corp.example")
    assert user is not None and (user.name, user.last_name) == ("Augusta", "Lovelace")
    again = sso.sign_in(sso.world.app.test_client(), "ada@corp.example")  # no account made
    assert again.status_code == 303 and len(client.asked) == 2


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", FAILED_CLOSED), ("es", "Ahora no es posible registrarse. Vuelve a intentarlo")],
)
def test_the_sign_up_page_says_a_denial_in_the_readers_language_or_the_hooks_words(
    language: str, words: str
) -> None:
    world = World()
    client = hooked(world, b"not json", on_failure="deny")
    browser = world.app.test_client()
    headers = {"Accept-Language": language}
    form = {"username": "dora", "email": "dora@example.com", "password": PASSWORD}
    shown = browser.post(
        "/sign-up", data={**form, "csrf_token": csrf(browser, "/sign-up")}, headers=headers
    )
    assert shown.status_code == 403 and words in shown.get_data(as_text=True)
    client.answer = {"decision": "deny", "message": "Solo con invitación."}
    again = browser.post(
        "/sign-up", data={**form, "csrf_token": csrf(browser, "/sign-up")}, headers=headers
    )
    assert again.status_code == 403 and "Solo con invitación." in again.get_data(as_text=True)
    assert world.adapters.of(AccountsAdapters).users.find_by_login("dora") is None


def test_the_firebase_exchange_that_would_make_an_account_asks_the_hook() -> None:
    world = World()
    verifier = world.adapters.of(FederationAdapters).identity_verifier
    assert isinstance(verifier, FakeIdentityVerifier)
    client = hooked(world, {"decision": "deny", "message": "Not from this app."})
    token = verifier.issue("uid-ed", email="ed@example.com", display_name="Ed")
    denied = world.client.post("/auth/firebase", json={"id_token": token})
    assert assert_problem(denied, 403, "signup_denied")["detail"] == "Not from this app."
    sent = json.loads(client.asked[0][1])["user"]
    assert (sent["method"], sent["provider"], sent["email"]) == (
        "firebase",
        "firebase",
        "ed@example.com",
    )
    client.answer = {"decision": "allow", "user": {"name": "Edmund", "last_name": "Hillary"}}
    made = world.client.post("/auth/firebase", json={"id_token": token})
    assert made.status_code == 200, made.get_json()
    user = world.adapters.of(AccountsAdapters).users.find_by_login("ed@example.com")
    assert user is not None and (user.name, user.last_name) == ("Edmund", "Hillary")
    again = world.client.post("/auth/firebase", json={"id_token": token})  # linked: not asked
    assert again.status_code == 200 and len(client.asked) == 2
