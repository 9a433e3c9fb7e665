"""Every GET route of the app under any path and query (docs/reference/): its path's
variables and any of the query parameters the service reads (``next``, ``token``, ``cursor``,
``limit``, ``lang`` …) with any values, from an anonymous browser, an admin's signed-in
browser and an admin's bearer token: never a 5xx and never an exception through Flask.

schemathesis (tests/e2e/test_fuzz_openapi.py) fuzzes the operations the OpenAPI document
describes; the pages, the provider's and the sign-in flows' GET routes are not in it. This
takes every rule of the app's URL map, on the fakes, with hypothesis."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from application.accounts.admin import SetRole
from tests.support.admin_pages import browser
from tests.support.api import bearer, login
from tests.support.app import World

pytestmark = pytest.mark.unit

QUERY_NAMES = [
    "next",
    "token",
    "code",
    "state",
    "error",
    "lang",
    "locale",
    "cursor",
    "limit",
    "page",
    "q",
    "filter",
    "sort",
    "order",
    "user_code",
    "email",
    "username",
    "client_id",
    "redirect_uri",
    "scope",
    "prompt",
    "since",
    "before",
    "type",
    "kind",
    "startIndex",
    "count",
    "attributes",
    "excludedAttributes",
    "format",
    "download",
]
values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["", "0", "-1", "1", "999999999999999999999", "1e9", "null", "/", "//x.example"]
    ),
    st.sampled_from(["%00", "..", "../../etc/passwd", "a" * 2000, "\u202e", "2026-13-45T99:99"]),
)


class GetWorld(World):
    """An admin's browser, an admin's bearer token and an anonymous browser."""

    def __init__(self) -> None:
        super().__init__()
        self.admin = browser(self, "root")
        self.services.admin.set_role(SetRole("root", "admin"))
        self.admin_bearer = bearer(login(self.client, "root"))
        self.anonymous = self.app.test_client()
        self.rules = sorted(
            (rule for rule in self.app.url_map.iter_rules() if "GET" in (rule.methods or ())),
            key=lambda rule: rule.rule,
        )


@pytest.fixture(scope="module")
def world() -> GetWorld:
    return GetWorld()


def path_of(rule: Rule, parts: list[str]) -> str:
    """The rule's path with its variables (``<name>``, ``<converter:name>``) each one of
    ``parts``, percent-encoded."""
    path, rest = "", rule.rule
    for part in parts:
        start = rest.find("<")
        if start == -1:
            break
        end = rest.index(">", start)
        path += rest[:start] + quote(part, safe="")
        rest = rest[end + 1 :]
    return path + rest


@settings(
    max_examples=1500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    which=st.integers(0, 10_000),
    parts=st.lists(st.text(min_size=1, max_size=30), min_size=3, max_size=3),
    query=st.lists(st.tuples(st.sampled_from(QUERY_NAMES), values), max_size=4),
    who=st.sampled_from(["anonymous", "browser", "bearer"]),
)
def test_every_get_route_answers_any_path_and_query(
    world: GetWorld,
    which: int,
    parts: list[str],
    query: list[tuple[str, str]],
    who: str,
) -> None:
    rule = world.rules[which % len(world.rules)]
    path = path_of(rule, parts)
    client: FlaskClient = world.admin if who == "browser" else world.anonymous
    headers: dict[str, str] = world.admin_bearer if who == "bearer" else {}
    answer = client.get(path, query_string=query, headers=headers)
    assert answer.status_code < 500, (rule.rule, path, query, answer.get_data(as_text=True)[:300])
