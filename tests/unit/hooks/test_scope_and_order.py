"""Several hooks of a kind (docs/hooks.md, "Scope and order"): asked in their order, only
those whose clients and orgs take the call, within 5 seconds together; and each kind's way of
making one answer of several (before_sign_up, before_token, send_mail; send_sms: the phone
unit's tests/unit/phone/test_send_sms_hooks.py). On fakes,
with a receiver that answers by URL and a clock each call moves."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from application.hooks.admin import TestAuthHook as KitRequest
from application.hooks.caller import TOTAL_DEADLINE_EXCEEDED, KindCaller
from application.hooks.hooked import HookMailer, TokenClaimsHook
from application.hooks.sign_up import FAILED_CLOSED, BeforeSignUp
from application.outbound import WebhookUnreachable
from application.ports import Mail, MailUndelivered
from domain.accounts.attributes import ProfileSchema
from domain.accounts.signups import SignUpAttempt
from domain.errors import PermissionDenied
from domain.hooks.auth_hooks import (
    BadAnswer,
    CallOutcome,
    checked_claims,
)
from domain.hooks.before_token import TokenHookRequest
from domain.hooks.kinds import HookKind
from tests.fakes.mail import FakeMailer
from tests.support.hook_kinds import (
    BEFORE_SIGN_UP,
    BEFORE_TOKEN,
    EVERY_KIND,
    SEND_MAIL,
)
from tests.support.hooks_world import HOST, Receivers, World, add
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
# -- order and scope -----------------------------------------------------------------------------


def test_the_hooks_of_a_kind_are_asked_lowest_order_first_ties_by_age() -> None:
    world = World()
    receivers = Receivers(world)
    add(world, "before_token", "/five", order=5)
    add(world, "before_token", "/first-zero")
    world.clock.advance(seconds=1)
    add(world, "before_token", "/second-zero")
    add(world, "before_token", "/minus", order=-1)
    add(world, "send_mail", "/mail")  # another kind's: not asked
    results = world.caller.call_all(BEFORE_TOKEN, {}, checked_claims)
    assert receivers.urls() == ["/minus", "/first-zero", "/second-zero", "/five"]
    assert [r.hook.url for r in results if r.hook] == [f"{HOST}{u}" for u in receivers.urls()]


def test_until_stops_the_asking_after_a_final_result() -> None:
    world = World()
    receivers = Receivers(world)
    receivers.answers["/b"] = {"claims": {"stop": True}}
    for path in ("/a", "/b", "/c"):
        add(world, "before_token", path)
    results = world.caller.call_all(
        BEFORE_TOKEN, {}, checked_claims, until=lambda r: bool(r.answer)
    )
    assert receivers.urls() == ["/a", "/b"] and len(results) == 2


@pytest.mark.parametrize(
    ("client", "org", "asked"),
    [
        ("app", "o1", ["/all", "/app", "/o1", "/app-in-o1"]),
        ("app", "o2", ["/all", "/app"]),
        ("other", "o1", ["/all", "/o1"]),
        # a call about no client, or no org: none of a hook that names clients, or orgs
        (None, "o1", ["/all", "/o1"]),
        ("app", None, ["/all", "/app"]),
        (None, None, ["/all"]),
    ],
)
def test_a_scoped_hook_is_asked_only_about_its_clients_and_orgs(
    client: str | None, org: str | None, asked: list[str]
) -> None:
    world = World()
    receivers = Receivers(world)
    add(world, "before_token", "/all")
    add(world, "before_token", "/app", clients=("app", "app2"))
    add(world, "before_token", "/o1", orgs=("o1",))
    add(world, "before_token", "/app-in-o1", clients=("app",), orgs=("o1",))
    world.caller.call_all(BEFORE_TOKEN, {}, checked_claims, client=client, org=org)
    assert receivers.urls() == asked
    applying = world.caller.applying(BEFORE_TOKEN, client=client, org=org)
    assert [h.url.removeprefix(HOST) for h in applying] == asked


# -- the total deadline ----------------------------------------------------------------------


def test_the_kinds_hooks_have_five_seconds_together() -> None:
    """Each call takes 2 s: the first two get their own 3 s, the third what is left (1 s),
    the fourth nothing: not sent, a timeout its on_failure resolves, kept and counted."""
    world = World()
    receivers = Receivers(world, takes=2.0)
    for n in range(3):
        add(world, "before_token", f"/{n}", order=n, timeout_ms=3000)
    add(world, "before_token", "/late", order=9, timeout_ms=3000, on_failure="deny")
    results = world.caller.call_all(BEFORE_TOKEN, {}, checked_claims)
    assert [(url, timeout) for url, _, timeout in receivers.asked] == [
        ("/0", 3.0),
        ("/1", 3.0),
        ("/2", 1.0),
    ]
    late = results[3]
    assert late.error == TOTAL_DEADLINE_EXCEEDED and late.refused and not late.answered
    [call] = world.store.calls(late.hook)  # type: ignore[arg-type]
    assert call.outcome is CallOutcome.TIMEOUT and call.error == TOTAL_DEADLINE_EXCEEDED
    counted = world.counted()
    assert counted['firegate_hook_calls_total{kind="before_token",outcome="timeout"}'] == 1
    assert counted['firegate_hook_calls_total{kind="before_token",outcome="ok"}'] == 3


def test_the_five_seconds_start_at_the_first_call_of_each_asking() -> None:
    world = World()
    receivers = Receivers(world, takes=4.0)
    add(world, "before_token", "/a", timeout_ms=5000)
    add(world, "before_token", "/b", timeout_ms=5000)
    world.caller.call_all(BEFORE_TOKEN, {}, checked_claims)
    world.caller.call_all(BEFORE_TOKEN, {}, checked_claims)
    assert [timeout for _, _, timeout in receivers.asked] == [5.0, 1.0, 5.0, 1.0]


# -- each kind's answer of several -----------------------------------------------------------


def token_request(client: str | None = "app") -> TokenHookRequest:
    return TokenHookRequest(
        "provider_access",
        {"id": "u1"},
        client=None if client is None else {"client_id": client},
        org={"id": "o1", "slug": "acme"},
    )


def test_before_token_merges_the_claims_in_order_under_one_bound() -> None:
    world = World()
    receivers = Receivers(world)
    receivers.answers |= {
        "/a": {"claims": {"tier": "gold", "plan": "a"}},
        "/b": {"claims": {"plan": "b", "seats": 3}},
        "/c": {"claims": {"blob": "x" * 980}},  # fits alone; the whole would not
        "/other": {"claims": {"other": True}},
    }
    add(world, "before_token", "/a")
    add(world, "before_token", "/b", order=1)
    add(world, "before_token", "/c", order=2)
    add(world, "before_token", "/other", clients=("another-app",))
    hook = TokenClaimsHook(caller=KindCaller(BEFORE_TOKEN, world.caller))
    assert hook.before_token(token_request()) == {"tier": "gold", "plan": "b", "seats": 3}
    assert receivers.urls() == ["/a", "/b", "/c"]
    assert receivers.asked[0][1]["client"] == {"client_id": "app"}
    too_large = [call for view in world.store.list_all() for call in world.store.calls(view)]
    assert "claims_too_large" in {call.error for call in too_large}


def test_before_token_a_failed_hook_that_denies_refuses_and_stops_the_asking() -> None:
    world = World()
    receivers = Receivers(world)
    receivers.answers |= {"/a": {"claims": {"tier": "gold"}}, "/b": {"claims": {"sub": "x"}}}
    add(world, "before_token", "/a")
    add(world, "before_token", "/b", order=1, on_failure="deny")
    add(world, "before_token", "/c", order=2)
    with pytest.raises(PermissionDenied) as refused:
        TokenClaimsHook(caller=KindCaller(BEFORE_TOKEN, world.caller)).before_token(token_request())
    assert refused.value.code == "hook_failed" and receivers.urls() == ["/a", "/b"]


def test_before_token_asks_nothing_when_no_hook_applies() -> None:
    world = World()
    receivers = Receivers(world)
    add(world, "before_token", "/app", clients=("app",))
    assert (
        TokenClaimsHook(caller=KindCaller(BEFORE_TOKEN, world.caller)).before_token(
            token_request(None)
        )
        == {}
    )
    assert receivers.asked == []


class NoSchema:
    def current(self) -> ProfileSchema:
        raise AssertionError("no attributes in these answers")


def before_sign_up(world: World) -> BeforeSignUp:
    return BeforeSignUp(
        caller=KindCaller(BEFORE_SIGN_UP, world.caller), schemas=NoSchema(), origin=lambda: ("", "")
    )


ATTEMPT = SignUpAttempt("ada@example.com", "ada", "register", org_id="o1")


def test_before_sign_up_merges_the_user_fields_in_order_and_the_first_deny_wins() -> None:
    world = World()
    receivers = Receivers(world)
    receivers.answers |= {
        "/a": {"decision": "allow", "user": {"name": "Ada", "last_name": "Byron"}},
        "/b": {"decision": "allow", "user": {"last_name": "Lovelace"}},
        "/elsewhere": {"decision": "deny", "message": "Not in o2"},
    }
    add(world, "before_sign_up", "/a")
    add(world, "before_sign_up", "/b", order=1)
    add(world, "before_sign_up", "/elsewhere", orgs=("o2",))
    verdict = before_sign_up(world).before_sign_up(ATTEMPT)
    assert verdict.allowed and (verdict.name, verdict.last_name) == ("Ada", "Lovelace")
    assert receivers.urls() == ["/a", "/b"]

    receivers.answers["/b"] = {"decision": "deny", "message": "Not today"}
    add(world, "before_sign_up", "/c", order=2)
    receivers.asked.clear()
    verdict = before_sign_up(world).before_sign_up(ATTEMPT)
    assert not verdict.allowed and verdict.message == "Not today"
    assert receivers.urls() == ["/a", "/b"]  # the first deny: the hooks after it not asked


def test_before_sign_up_a_failed_hook_that_denies_refuses() -> None:
    world = World()
    receivers = Receivers(world)
    receivers.answers["/a"] = WebhookUnreachable("deadline_exceeded")
    add(world, "before_sign_up", "/a", on_failure="deny")
    add(world, "before_sign_up", "/b", order=1)
    verdict = before_sign_up(world).before_sign_up(ATTEMPT)
    assert not verdict.allowed and verdict.message == FAILED_CLOSED
    assert receivers.urls() == ["/a"]


MAIL = Mail("ada@example.com", "Hi", "text", "<p>html</p>", "verify_email", "en")


def test_send_mail_the_first_hook_that_accepts_sends_it() -> None:
    world = World()
    receivers = Receivers(world)
    receivers.answers["/primary"] = WebhookUnreachable("connection_refused")
    add(world, "send_mail", "/primary")
    add(world, "send_mail", "/backup", order=1)
    add(world, "send_mail", "/third", order=2)
    smtp = FakeMailer()
    HookMailer(caller=KindCaller(SEND_MAIL, world.caller), smtp=smtp).send(MAIL)
    assert receivers.urls() == ["/primary", "/backup"] and smtp.sent == []


def test_send_mail_falls_back_to_smtp_only_when_every_failed_hook_allows() -> None:
    world = World()
    receivers = Receivers(world)
    receivers.answers |= {"/a": WebhookUnreachable("x"), "/b": WebhookUnreachable("y")}
    add(world, "send_mail", "/a")
    add(world, "send_mail", "/b", order=1)
    smtp = FakeMailer()
    HookMailer(caller=KindCaller(SEND_MAIL, world.caller), smtp=smtp).send(MAIL)
    assert [m.to for m in smtp.sent] == ["ada@example.com"]

    add(world, "send_mail", "/c", order=-1, on_failure="deny")
    receivers.answers["/c"] = WebhookUnreachable("z")
    receivers.asked.clear()
    with pytest.raises(MailUndelivered):
        HookMailer(caller=KindCaller(SEND_MAIL, world.caller), smtp=smtp).send(MAIL)
    assert receivers.urls() == ["/c"] and len(smtp.sent) == 1


# -- the test kit ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(EVERY_KIND))
def test_every_kind_has_samples_and_an_answer_check(kind: HookKind[Any]) -> None:
    """``hooks test`` sends each kind's samples and checks the answers by the kind's shape: a
    kind without samples, or without a check of its own, fails here (the core's and the
    optional units')."""
    assert kind.samples, f"no samples for {kind.name}"
    for name, payload in kind.samples.items():
        assert isinstance(payload, Mapping) and payload, name
        json.dumps(payload)  # sent as JSON
    try:
        kind.check({}, EVERY_KIND.reserved)
    except BadAnswer:
        pass  # an answer of no shape: the kind's own check refused it
    except LookupError as missing:
        pytest.fail(str(missing))


def test_the_test_kit_sends_every_sample_of_every_kind() -> None:
    world = World(kinds=EVERY_KIND)
    for kind in EVERY_KIND:
        world.client.asked.clear()
        tested = world.admin.test(KitRequest(ADMIN, kind.name, f"{HOST}/kit"))
        assert [a.sample for a in tested.answers] == list(kind.samples)
        sent = [json.loads(body) for _, body, _, _, _ in world.client.asked]
        assert sent == [dict(p) for p in kind.samples.values()]
