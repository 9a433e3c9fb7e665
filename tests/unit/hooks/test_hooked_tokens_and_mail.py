"""The before_token and send_mail hooks through the app on the fakes: the claims a hook answers
in the tokens, a refused answer and a failed call resolved by ``on_failure``, and each mail
handed to the hook instead of the mail server (docs/hooks.md)."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from application.hooks.admin import AuthHookRef, ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from application.jobs import JobPush, RetryJob, encode_job
from application.outbound import WebhookUnreachable
from bootstrap.hooks import HooksAdapters
from tests.fakes.hooks import FakeHookClient
from tests.support.api import PASSWORD, assert_problem, register
from tests.support.app import World
from tests.support.oauth import OAuthWorld, csrf_of
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
RECEIVER = "http://127.0.0.1:9/hook"


@pytest.fixture
def world() -> World:
    w = World(app_profile="local")
    register(w.client, "alice")
    return w


def receiver(world: World) -> FakeHookClient:
    client: FakeHookClient = world.adapters.of(HooksAdapters).hook_client  # type: ignore[assignment]
    return client


def hook(world: World, kind: str, answer: object, *, on_failure: str = "allow") -> None:
    """The kind's one hook (any it had removed)."""
    admin = world.services.of(HookServices).hooks
    for view in admin.list(ListAuthHooks(ADMIN)):
        if view.hook.kind == kind:
            admin.remove(AuthHookRef(ADMIN, view.hook.hook_id))
    admin.set(SetAuthHook(ADMIN, kind, RECEIVER, on_failure=on_failure))
    receiver(world).answer = answer
    receiver(world).asked.clear()


def payloads(world: World) -> list[dict[str, Any]]:
    return [json.loads(body) for _, body, _, _, _ in receiver(world).asked]


def login(world: World) -> Any:
    return world.client.post("/login", json={"username": "alice", "password": PASSWORD})


def claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


def test_a_sign_in_and_a_refresh_carry_the_hooks_claims(world: World) -> None:
    hook(world, "before_token", {"claims": {"tier": "gold"}})
    pair = login(world).get_json()
    assert claims(pair["access_token"])["tier"] == "gold"
    refreshed = world.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert claims(refreshed.get_json()["access_token"])["tier"] == "gold"
    sent = payloads(world)
    assert [p["token_kind"] for p in sent] == ["access", "refresh_access"]
    assert sent[0]["user"]["username"] == "alice" and sent[0]["client"] is None
    assert set(sent[0]) == {"user", "session", "client", "org", "token_kind"}


@pytest.mark.parametrize(
    "answer",
    [
        {"claims": {"tier": "gold", "sub": "someone-else"}},  # a reserved claim
        {"claims": {"blob": "x" * 1000}},  # over 1,000 bytes
        WebhookUnreachable("deadline_exceeded"),  # no answer by the hook's deadline
    ],
    ids=["reserved", "too-large", "unanswered"],
)
def test_a_failed_call_is_ignored_when_it_allows_and_refuses_when_it_denies(
    world: World, answer: object
) -> None:
    hook(world, "before_token", answer)
    allowed = login(world)
    assert allowed.status_code == 200
    assert "tier" not in claims(allowed.get_json()["access_token"])
    hook(world, "before_token", answer, on_failure="deny")
    sessions_before = len(world.store.sessions)
    denied = login(world)
    assert_problem(denied, 403, "hook_failed")
    assert len(world.store.sessions) == sessions_before  # no session left behind


def test_with_no_hook_nothing_is_asked(world: World) -> None:
    assert login(world).status_code == 200
    world.deliver()
    assert receiver(world).asked == []
    assert world.mailer.sent  # the verification mail, by the mail server


def test_a_mail_goes_to_the_hook_instead_of_the_mail_server(world: World) -> None:
    world.deliver()  # alice's verification mail, by the mail server
    world.mailer.sent.clear()
    hook(world, "send_mail", {})
    world.client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    world.deliver()
    assert world.mailer.sent == []
    [mail] = payloads(world)
    assert set(mail) == {"to", "kind", "locale", "subject", "text", "html", "brand"}
    assert mail["brand"] is None  # a mail about an account: no org's brand
    assert (mail["to"], mail["kind"], mail["locale"]) == (
        "alice@example.com",
        "reset_password",
        "en",
    )
    assert "/reset-password?token=" in mail["text"]


def test_a_failed_mail_hook_retries_the_job_when_it_denies_and_falls_back_when_it_allows(
    world: World,
) -> None:
    world.deliver()
    world.mailer.sent.clear()
    hook(world, "send_mail", {}, on_failure="deny")
    receiver(world).status = 500
    world.client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    jobs, world.queue.jobs = world.queue.jobs, []
    for job in jobs:  # the lookup job queues the mail job
        world.services.platform.jobs.receive_push(
            JobPush(data=base64.b64encode(encode_job(job)).decode())
        )
    [mail_job] = world.queue.jobs
    push = JobPush(data=base64.b64encode(encode_job(mail_job)).decode())
    with pytest.raises(RetryJob):
        world.services.platform.jobs.receive_push(
            push
        )  # tried again later, as after an SMTP failure
    assert world.mailer.sent == []
    hook(world, "send_mail", {}, on_failure="allow")
    receiver(world).status = 500
    world.services.platform.jobs.receive_push(push)
    assert [m.kind for m in world.mailer.sent] == ["reset_password"]  # the mail server's


def test_the_provider_asks_for_both_tokens_and_a_deny_refuses_the_answer() -> None:
    world = OAuthWorld(app_profile="local")  # alice signed up in its browser
    client = world.register()
    hook(world, "before_token", {"claims": {"tier": "gold"}})
    tokens = world.tokens(client)
    assert claims(tokens["access_token"])["tier"] == "gold"
    assert claims(tokens["id_token"])["tier"] == "gold"
    assert [p["token_kind"] for p in payloads(world)] == ["provider_access", "id_token"]
    hook(world, "before_token", {"claims": {"sub": "x"}}, on_failure="deny")
    code, verifier = world.code(client["client_id"])
    assert_problem(world.exchange(client, code, verifier), 403, "hook_failed")


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "a check this service makes did not answer"), ("es", "no respondió")],
)
def test_the_sign_in_page_says_why_in_the_readers_language(
    world: World, language: str, words: str
) -> None:
    hook(world, "before_token", {"claims": {"sub": "x"}}, on_failure="deny")
    headers = {"Accept-Language": language}
    token = csrf_of(world.client.get("/sign-in", headers=headers).get_data(as_text=True))
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token}
    answer = world.client.post("/sign-in", data=form, headers=headers)
    assert answer.status_code == 403
    assert words in answer.get_data(as_text=True)
