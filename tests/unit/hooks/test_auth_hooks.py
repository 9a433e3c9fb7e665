"""Auth hooks' core: the record's checks, one call (signed, pinned, its deadline, its answer
checked), the failures ``on_failure`` resolves, the calls counted and kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from application.hooks.admin import AuthHookRef, ListAuthHooks, SetAuthHook
from application.hooks.caller import HookResult
from application.metrics import HOOK_CALL_DURATION, HOOK_CALLS
from application.outbound import WebhookUnreachable
from application.signin.authentication import Actor
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.hooks.auth_hooks import (
    BadAnswer,
    CallOutcome,
    OnFailure,
    checked_claims,
    checked_sign_up_answer,
    parsed_answer,
)
from tests.fakes.claims import CLAIMS
from tests.support.hook_kinds import BEFORE_SIGN_UP, BEFORE_TOKEN
from tests.support.hooks_world import PAYLOAD, World
from tests.support.webhooks import ADMIN, BOX

USER = Actor("u1", "ada", "user", "s2", datetime(2100, 1, 1, tzinfo=UTC))


# -- the record and the admins' use cases --------------------------------------------------------


def test_setting_a_hook_checks_every_field_at_once() -> None:
    world = World(local=False)
    with pytest.raises(InvalidInput) as caught:
        world.admin.set(SetAuthHook(ADMIN, "after_lunch", "http://10.0.0.1/", 0, "maybe"))
    codes = {error.code for error in caught.value.errors}
    assert codes == {
        "unknown_hook_kind",
        "invalid_webhook_url",
        "invalid_hook_timeout",
        "invalid_hook_on_failure",
    }
    with pytest.raises(InvalidInput):
        world.set(timeout_ms=5001)
    assert world.store.list_all() == []


def test_a_private_address_is_refused_outside_the_local_profile_only() -> None:
    with pytest.raises(InvalidInput) as caught:
        World(local=False).set(url="https://10.1.2.3/hook")
    assert caught.value.code == "invalid_webhook_url"
    with pytest.raises(InvalidInput):
        World(local=False).set(url="http://hooks.example.com/in")
    World(local=True).set(url="http://127.0.0.1:9999/in")


def test_a_second_hook_of_a_kind_is_added_beside_the_first_with_its_own_secret() -> None:
    world = World()
    first = world.admin.set(SetAuthHook(ADMIN, "before_sign_up", "https://hooks.example.com/a"))
    world.clock.advance(seconds=1)  # the older is asked first
    second = world.admin.set(SetAuthHook(ADMIN, "before_sign_up", "https://hooks.example.com/b"))
    assert first.secret != second.secret and second.secret.startswith("whsec_")
    assert BOX.open(second.hook.secret) == second.secret  # kept sealed
    views = world.admin.list(ListAuthHooks(ADMIN))
    assert [v.hook for v in views] == [first.hook, second.hook]
    assert second.hook.timeout_ms == 2000 and second.hook.on_failure is OnFailure.ALLOW
    assert (second.hook.order, second.hook.clients, second.hook.orgs) == (0, (), ())


def test_only_admins_set_list_and_remove() -> None:
    world = World()
    with pytest.raises(PermissionDenied):
        world.admin.set(SetAuthHook(USER, "before_token", "https://hooks.example.com/in"))
    with pytest.raises(PermissionDenied):
        world.admin.list(ListAuthHooks(USER))
    with pytest.raises(PermissionDenied):
        world.admin.remove(AuthHookRef(USER, "x"))


def test_removing_a_hook_stops_its_calls() -> None:
    world = World({"claims": {"plan": "pro"}})
    world.set()
    assert world.claims().answer == {"plan": "pro"}
    hook_id = world.store.list_all()[0].hook_id
    world.admin.remove(AuthHookRef(ADMIN, hook_id))
    with pytest.raises(NotFound):
        world.admin.remove(AuthHookRef(ADMIN, hook_id))
    result = world.claims()
    assert result.hook is None and not result.refused
    assert len(world.client.asked) == 1


# -- one call -----------------------------------------------------------------------------------


def test_no_hook_no_call() -> None:
    world = World()
    result = world.claims()
    assert result == HookResult(None)
    assert world.client.asked == []


def test_call_all_asks_each_hook_that_applies_and_none_without_one() -> None:
    world = World({"claims": {"plan": "pro"}})
    assert world.caller.call_all(BEFORE_TOKEN, PAYLOAD, checked_claims) == []
    world.set()
    results = world.caller.call_all(BEFORE_TOKEN, PAYLOAD, checked_claims, client="app", org="o1")
    assert [r.answer for r in results] == [{"plan": "pro"}]
    assert [h.kind for h in world.caller.applying(BEFORE_TOKEN)] == [BEFORE_TOKEN.name]
    assert world.caller.applying(BEFORE_SIGN_UP) == []
    assert world.counted()['firegate_hook_calls_total{kind="before_token",outcome="ok"}'] == 1


def test_a_call_is_signed_with_the_hooks_secret_pinned_and_given_its_deadline() -> None:
    world = World({"claims": {"plan": "pro"}}, local=False)
    secret = world.set(timeout_ms=750)
    result = world.claims()
    assert result.answered and result.answer == {"plan": "pro"}
    url, body, headers, address, timeout = world.client.asked[0]
    assert url == "https://hooks.example.com/in"
    assert address == "93.184.215.14" and timeout == 0.75
    assert Webhook(secret).verify(body.decode(), headers) == PAYLOAD
    assert headers["webhook-id"].startswith("msg_")


def test_a_host_that_resolves_to_a_private_address_is_not_called() -> None:
    world = World({"claims": {}}, local=False)
    world.set(url="https://inside.example.com/in", on_failure="deny")
    result = world.claims()
    assert result.refused and result.error == "not_public_address"
    assert world.client.asked == []


@pytest.mark.parametrize(
    ("answer", "status", "outcome", "error"),
    [
        (WebhookUnreachable("deadline_exceeded"), 200, CallOutcome.TIMEOUT, "deadline_exceeded"),
        (WebhookUnreachable("connection_refused"), 200, CallOutcome.UNREACHABLE, None),
        ({"claims": {}}, 500, CallOutcome.STATUS, "status_500"),
        (b"<html>", 200, CallOutcome.BAD_ANSWER, "not_json"),
        ([1, 2], 200, CallOutcome.BAD_ANSWER, "not_an_object"),
        ({"claims": ["a"]}, 200, CallOutcome.BAD_ANSWER, "bad_claims"),
        ({"claims": {"sub": "root"}}, 200, CallOutcome.BAD_ANSWER, "reserved_claim:sub"),
        ({"claims": {"big": "x" * 1000}}, 200, CallOutcome.BAD_ANSWER, "claims_too_large"),
        (b"{" + b" " * 20000 + b"}", 200, CallOutcome.BAD_ANSWER, "too_large"),
        # JSON, but not text: a lone surrogate anywhere, key or value, however deep
        (b'{"claims": {"tier": "\\ud800"}}', 200, CallOutcome.BAD_ANSWER, "not_text"),
        (b'{"claims": {"\\udfff": 1}}', 200, CallOutcome.BAD_ANSWER, "not_text"),
        (b'{"claims": {"a": [[{"b": "x\\udc00"}]]}}', 200, CallOutcome.BAD_ANSWER, "not_text"),
        (b'{"decision": "allow", "message": "\\ud83d"}', 200, CallOutcome.BAD_ANSWER, "not_text"),
    ],
)
def test_each_failure_is_resolved_by_on_failure(
    answer: object, status: int, outcome: CallOutcome, error: str | None
) -> None:
    for on_failure in ("allow", "deny"):
        world = World(answer, status)
        world.set(on_failure=on_failure)
        result = world.claims()
        assert not result.answered
        assert result.refused is (on_failure == "deny")
        call = world.store.calls(world.store.list_all()[0])[0]
        assert call.outcome is outcome and not call.succeeded
        assert call.error == (error or str(answer))
        counted = world.counted()
        key = f'firegate_hook_calls_total{{kind="before_token",outcome="{outcome.value}"}}'
        assert counted[key] == 1


def test_each_call_is_kept_without_its_payload_and_timed() -> None:
    world = World({"claims": {"plan": "pro"}})
    world.set()
    world.claims()
    hook = world.store.list_all()[0]
    [call] = world.store.calls(hook)
    assert call.hook_id == hook.hook_id and call.status == 200 and call.error is None
    assert call.outcome is CallOutcome.OK and call.duration_ms >= 0
    assert "ada@example.com" not in repr(call)
    counted = world.counted()
    assert counted['firegate_hook_calls_total{kind="before_token",outcome="ok"}'] == 1
    assert counted['firegate_hook_call_duration_seconds_count{kind="before_token"}'] == 1
    assert HOOK_CALLS.label_names == ("kind", "outcome")
    assert HOOK_CALL_DURATION.label_names == ("kind",)


def test_a_call_stands_when_keeping_it_fails() -> None:
    world = World({"claims": {"plan": "pro"}})
    world.set()
    world.store.failing = True
    assert world.claims().answer == {"plan": "pro"}


def test_the_hooks_are_read_once_per_ttl() -> None:
    world = World({"claims": {}})
    world.set()
    for _ in range(5):
        world.claims()
    assert world.store.reads == 1
    world.clock.advance(seconds=6)
    world.claims()
    assert world.store.reads == 2


# -- answers ------------------------------------------------------------------------------------


def test_claims_bounds_are_of_their_compact_json() -> None:
    fits = {"k": "x" * (1000 - len('{"k":""}'))}
    assert checked_claims({"claims": fits}) == fits
    with pytest.raises(BadAnswer):
        checked_claims({"claims": {"k": "x" * (1001 - len('{"k":""}'))}})
    assert checked_claims({}) == {}
    for reserved in ("iss", "org", "firebase", "token_version", "azp", "user_id", "role"):
        with pytest.raises(BadAnswer, match=reserved):
            checked_claims({"claims": {reserved: 1}})


@pytest.mark.parametrize(
    "name", ["email", "email_verified", "phone_number", "phone_number_verified", "name"]
)
def test_the_persons_identity_claims_are_reserved(name: str) -> None:
    """The token frame's and the units' claim sources' (``phone_number``: phone's)."""
    with pytest.raises(BadAnswer, match=f"reserved_claim:{name}"):
        checked_claims({"claims": {"tier": "gold", name: "x"}}, CLAIMS.reserved)


def test_a_sign_up_answer_is_checked() -> None:
    answer = checked_sign_up_answer(
        {"decision": "deny", "message": "Not today", "user": {"name": "Ada", "attributes": {}}}
    )
    assert not answer.allowed and answer.message == "Not today" and answer.name == "Ada"
    assert answer.last_name is None and answer.attributes == {}
    assert checked_sign_up_answer({"decision": "allow"}).allowed
    for bad in (
        {},
        {"decision": "yes"},
        {"decision": "deny", "message": "x" * 201},
        {"decision": "allow", "user": "Ada"},
        {"decision": "allow", "user": {"name": 7}},
        {"decision": "allow", "user": {"attributes": [1]}},
    ):
        with pytest.raises(BadAnswer):
            checked_sign_up_answer(bad)


def test_an_empty_answer_is_an_empty_object() -> None:
    assert parsed_answer(b"") == {}
    assert parsed_answer(json.dumps({"a": 1}).encode()) == {"a": 1}


def test_an_answer_nested_past_the_parser_is_a_bad_answer_not_an_error() -> None:
    deep = b'{"claims": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(BadAnswer, match="too_deep"):
        parsed_answer(deep)
    nested = b'{"a": ' + b"[" * 5_000 + b'"\\ud800"' + b"]" * 5_000 + b"}"
    with pytest.raises(BadAnswer, match="not_text"):
        parsed_answer(nested)
