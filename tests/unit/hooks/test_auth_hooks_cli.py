"""``hooks set|list|remove|test`` (docs/reference/auth-hooks.md): ``test`` against a receiver
this test starts, which verifies each signature as an operator's would."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from click.testing import Result
from flask import Flask

from bootstrap import Adapters
from bootstrap.hooks import HooksAdapters
from tests.support.hook_receiver import hook_receiver

pytestmark = pytest.mark.unit


@pytest.fixture
def adapters(adapters: Adapters) -> Adapters:
    """The fakes, but hooks are sent over HTTP to the test's receiver, by the platform's
    outbound client."""
    hooks = replace(adapters.of(HooksAdapters), hook_client=adapters.platform.outbound.sender(5))
    return adapters.with_(hooks)


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["hooks", *args])


def lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.output.splitlines()]


def test_set_list_and_remove(fake_app: Flask) -> None:
    made = run(fake_app, "set", "before_sign_up", "http://127.0.0.1:9/in", "--on-failure", "deny")
    assert made.exit_code == 0, made.output
    [hook] = lines(made)
    assert hook["secret"].startswith("whsec_") and hook["on_failure"] == "deny"
    listed = run(fake_app, "list")
    assert [h["id"] for h in json.loads(listed.output)] == [hook["id"]]
    assert "secret" not in listed.output
    assert run(fake_app, "remove", hook["id"]).exit_code == 0
    gone = run(fake_app, "remove", hook["id"])
    assert gone.exit_code == 1 and "No such auth hook" in gone.output
    bad = run(fake_app, "set", "before_token", "http://127.0.0.1:9/in", "--timeout-ms", "0")
    assert bad.exit_code == 1 and "timeout_ms" in bad.output


def test_set_takes_an_order_and_a_scope_and_list_shows_them_in_order(fake_app: Flask) -> None:
    url = "http://127.0.0.1:9/in"
    late = lines(run(fake_app, "set", "credentials_exchange", url, "--order", "7"))[0]
    scoped = run(
        fake_app,
        *("set", "credentials_exchange", url, "--order", "-1"),
        *("--client", "app1", "--client", "app2", "--org", "o1"),
    )
    assert scoped.exit_code == 0, scoped.output
    [early] = lines(scoped)
    assert (early["order"], early["clients"], early["orgs"]) == (-1, ["app1", "app2"], ["o1"])
    listed = json.loads(run(fake_app, "list").output)
    assert [(h["id"], h["order"]) for h in listed] == [(early["id"], -1), (late["id"], 7)]
    assert listed[1]["clients"] == [] and listed[1]["orgs"] == []
    for _ in range(8):
        assert run(fake_app, "set", "credentials_exchange", url).exit_code == 0
    full = run(fake_app, "set", "credentials_exchange", url)
    assert full.exit_code == 1 and "10 hooks" in full.output


def test_a_receiver_that_answers_well_passes_every_sample(fake_app: Flask) -> None:
    with hook_receiver() as receiver:
        receiver.secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        receiver.answer = lambda payload: {"decision": "allow", "user": {"name": "Ada"}}
        result = run(
            fake_app, "test", receiver.url, "--kind", "before_sign_up", "--secret", receiver.secret
        )
    assert result.exit_code == 0, result.output
    *samples, summary = lines(result)
    assert [s["sample"] for s in samples] == ["password", "upstream"]
    assert all(s["outcome"] == "ok" and s["status"] == 200 for s in samples)
    assert summary == {"kind": "before_sign_up", "secret": receiver.secret, "passed": True}
    assert [p["user"]["method"] for p in receiver.received] == ["password", "upstream"]


def test_a_wrong_answer_fails_the_test(fake_app: Flask) -> None:
    with hook_receiver() as receiver:
        receiver.secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        receiver.answer = lambda payload: {"claims": {"sub": "someone-else"}}
        result = run(
            fake_app, "test", receiver.url, "--kind", "before_token", "--secret", receiver.secret
        )
    assert result.exit_code == 1
    *samples, summary = lines(result)
    assert {s["error"] for s in samples} == {"reserved_claim:sub"}
    assert summary["passed"] is False


def test_a_generated_secret_is_printed_and_a_receiver_without_it_refuses(fake_app: Flask) -> None:
    with hook_receiver() as receiver:  # no secret: every call answered 401
        result = run(fake_app, "test", receiver.url, "--kind", "send_mail")
    assert result.exit_code == 1
    *samples, summary = lines(result)
    assert samples[0]["outcome"] == "status" and samples[0]["status"] == 401
    assert summary["secret"].startswith("whsec_")
    bad = run(fake_app, "test", receiver.url, "--kind", "send_mail", "--secret", "nope")
    assert bad.exit_code == 1 and "secret" in bad.output


def test_an_id_that_begins_with_a_dash_is_an_id(fake_app: Flask) -> None:
    """Hooks' ids are URL-safe base64, so one in 64 begins with ``-``: ``remove`` takes it as
    the id, not as an option it does not know."""
    gone = run(fake_app, "remove", "-Nw3kq8Zb1X0aTqYhJc2Lg")
    assert gone.exit_code == 1 and "No such option" not in gone.output


def test_the_kit_sends_a_legacy_sign_in_and_checks_valid(fake_app: Flask) -> None:
    with hook_receiver() as receiver:
        receiver.secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        receiver.answer = lambda payload: {"valid": payload["password"] == "hunter2"}
        args = ("test", receiver.url, "--kind", "password_verification")
        passed = run(fake_app, *args, "--secret", receiver.secret)
        receiver.answer = lambda payload: {"valid": "yes"}
        failed = run(fake_app, *args, "--secret", receiver.secret)
    assert passed.exit_code == 0, passed.output
    *samples, summary = lines(passed)
    assert [s["sample"] for s in samples] == ["legacy_sign_in"] and summary["passed"] is True
    assert set(receiver.received[0]) == {"user", "password"}
    assert failed.exit_code == 1 and lines(failed)[0]["error"] == "bad_valid"
