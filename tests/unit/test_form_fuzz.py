"""Every POST rule of the app under any form (docs/reference/pages.md and the pages'
reference): the fields the pages and flows read (``username``, ``next``, ``scopes``,
``metadata_xml`` …), repeated or not, with any values and the session's valid CSRF token,
posted to any POST route with any path variables, from an admin's signed-in browser and an
anonymous one: never a 5xx and never an exception through Flask.

schemathesis (tests/e2e/test_fuzz_openapi.py) fuzzes the JSON operations the OpenAPI
document describes, and tests/unit/test_oauth_fuzz.py the provider's forms; the pages' forms
are in neither. This takes every POST rule of the app's URL map, on the fakes, with
hypothesis."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

from application.accounts.admin import SetRole
from tests.support.admin_pages import browser
from tests.support.app import World
from tests.support.pages import csrf

pytestmark = pytest.mark.unit

FIELDS = [
    "access_token", "apps", "backchannel_logout_session_required", "backchannel_logout_uri",
    "break_glass", "client_id", "code", "confidential", "confirm", "connection", "connections",
    "current_password", "custom_roles", "decision", "delete", "description", "disabled",
    "domain", "domain_policy", "domains", "email", "events", "expires_in", "family_name",
    "given_name", "groups", "id", "invitations", "invite", "invited", "issuer", "key_id",
    "language", "locale", "members", "metadata_url", "metadata_xml", "name", "new_password",
    "next", "org", "organization", "password", "preset", "profile", "recovery_code",
    "redirect_uris", "require_mfa", "require_par", "require_sso", "resource_scope",
    "resources", "role", "roles", "scope", "scopes", "sessions", "settings", "slug", "status",
    "team_id", "time_zone", "token", "token_id", "uri", "url", "user_code", "username",
]  # fmt: skip
values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", "on", "true", "0", "-1", "admin", "owner", "member", "allow", "deny"]),
    st.sampled_from(["root", "root@example.com", "https://x.example/", "/account", "//evil"]),
    st.sampled_from(["<x/>", "a" * 3000, "\u202e", "\x00", "x | y", "a:b | Read"]),
)


class FormWorld(World):
    """An admin's browser and an anonymous one. A form may sign the admin out, or delete
    the account: a new admin then takes over; one may sign the anonymous browser up or in: a
    new browser then takes its place. The CSRF token is read anew for each form (a session
    that starts or ends changes it)."""

    def __init__(self) -> None:
        super().__init__()
        self.admins = 0
        self.admin = self.new_admin()
        self.anonymous = self.app.test_client()
        self.rules = sorted(
            (rule for rule in self.app.url_map.iter_rules() if "POST" in (rule.methods or ())),
            key=lambda rule: rule.rule,
        )

    def new_admin(self) -> FlaskClient:
        self.admins += 1
        name = f"root{self.admins}"
        client = browser(self, name)
        self.services.admin.set_role(SetRole(name, "admin"))
        return client

    def poster(self, signed_in: bool) -> tuple[FlaskClient, str]:
        """The browser to post with, as it should be, and its CSRF token now."""
        if signed_in:
            if self.admin.get("/account").status_code != 200:
                self.admin = self.new_admin()
            return self.admin, csrf(self.admin, "/account")
        if self.anonymous.get("/account").status_code == 200:
            self.anonymous = self.app.test_client()
        return self.anonymous, csrf(self.anonymous, "/sign-up")


@pytest.fixture(scope="module")
def world() -> FormWorld:
    return FormWorld()


def path_of(rule: Rule, parts: list[str]) -> str:
    """The rule's path with its variables each one of ``parts``, percent-encoded."""
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
    max_examples=800,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    which=st.integers(0, 10_000),
    parts=st.lists(st.text(min_size=1, max_size=30), min_size=3, max_size=3),
    form=st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=6),
    signed_in=st.booleans(),
)
def test_every_post_route_answers_any_form(
    world: FormWorld,
    which: int,
    parts: list[str],
    form: list[tuple[str, str]],
    signed_in: bool,
) -> None:
    rule = world.rules[which % len(world.rules)]
    client, token = world.poster(signed_in)
    body = MultiDict([*form, ("csrf_token", token)])
    answer = client.post(path_of(rule, parts), data=body)
    assert answer.status_code < 500, (rule.rule, form, answer.get_data(as_text=True)[:300])
