"""``challenge_token`` may be left out but is never null: the document offers no null for
it, so a null is refused with a 422 naming it, on every route that takes it."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api import PASSWORD, assert_problem

pytestmark = pytest.mark.unit

BODIES: dict[str, dict[str, Any]] = {
    "/register": {"username": "alice", "email": "alice@example.com", "password": PASSWORD},
    "/login": {"username": "alice", "password": PASSWORD},
    "/auth/email-code": {"email": "alice@example.com"},
}


@pytest.mark.parametrize("path", sorted(BODIES))
def test_a_null_challenge_token_is_refused(client: FlaskClient, path: str) -> None:
    answer = client.post(path, json={**BODIES[path], "challenge_token": None})
    problem = assert_problem(answer, 422, "validation_failed")
    assert [error["field"] for error in problem["errors"]] == ["challenge_token"]
