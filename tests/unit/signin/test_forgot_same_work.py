"""A reset asked for an address with an account and for one without: the request does the
same work, none, and what it hands on starts once its answer is sent (docs/security.md,
"Password recovery"). Asserted on the work done, never on times."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from tests.support.api import register
from tests.support.app import World
from tests.support.pages import csrf

pytestmark = pytest.mark.unit


def api(world: World, address: str) -> TestResponse:
    return world.client.post("/auth/password/forgot", json={"email": address}, buffered=False)


def page(world: World, address: str) -> TestResponse:
    form = {"email": address, "csrf_token": csrf(world.client, "/forgot-password")}
    return world.client.post("/forgot-password", data=form, buffered=False)


@pytest.mark.parametrize("ask", [api, page], ids=["api", "page"])
def test_a_known_and_an_unknown_address_do_the_same_work_until_the_answer_is_sent(
    ask: Callable[[World, str], TestResponse],
) -> None:
    world = World()
    register(world.client, "alice")
    world.deliver()
    world.mailer.sent.clear()
    answers = []
    for address in ("alice@example.com", "nobody@example.com"):
        response = ask(world, address)
        answers.append((response.status_code, response.get_data()))
        assert world.queue.jobs == []  # nothing queued, nothing read: the answer is ready
        response.close()  # the server has sent the answer
        [job] = world.queue.jobs
        assert job.kind == "find_reset_account"
        world.deliver()
    assert answers[0] == answers[1]
    assert [m.to for m in world.mailer.sent] == ["alice@example.com"]
