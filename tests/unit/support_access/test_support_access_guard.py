"""The guard of support access on every path (docs/support-access.md, "What is refused"): a
session of support access makes nothing that outlasts it. The routes are found in the app's
route table, API and pages alike, by what their addresses name (a token, a client, an
invitation, a role, an org's settings, a way in, the account itself), never listed here: a
new route of that kind is walked, and must be refused, by itself. What ends access (a
revocation) stays allowed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from infrastructure.settings import Settings
from interfaces.web.errors import PAGE_BLUEPRINTS
from tests.support.api import admin_token, bearer, login, register, services
from tests.support.pages import csrf
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN
from tests.unit.support_access.fakes import Acting, acting, page_post, refused

pytestmark = pytest.mark.unit

CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What an address names that outlasts a session, as a word of its path: a way in or an
# address, the account or an org itself, a credential, a grant, an org's policy.
LASTING = frozenset(
    {
        "password", "mfa", "totp", "recovery-codes", "passkeys", "phone", "identities",
        "connect", "upgrade", "profile", "delete", "tokens", "clients", "apps", "consent",
        "device", "invitations", "members", "roles", "join", "leave", "settings", "agents",
        "agent-policy", "domains", "connections", "sso", "setup-links", "impersonate", "act-as",
        "brand", "sender", "sign-in-domain", "log-streams",
    }
)  # fmt: skip
THE_ACCOUNT_OR_AN_ORG = re.compile(r"^/(user|orgs/<org:org>|api/users/<[^>]+>)$")
# What ends access or changes nothing lasting, though its address names a credential: a
# revocation, a test of a connection, a member's profile attributes.
ENDS_OR_KEEPS = re.compile(r"/(revoke|test|attributes)$|/apps/<[^>]+>/remove$")
REVOKED = re.compile(r"/(tokens|invitations|clients)/<[^>]+>$")  # by DELETE
# What only an admin calls (docs/reference/users.md, docs/reference/admin.md): a session of
# support access is never an admin's (docs/decisions/0584-no-admin-acts-as-an-admin.md; its
# session ends if the person becomes one), so these are not walked.
ADMINS = re.compile(r"^/(admin|users)(/|$)|^/api/users$")
VALUES = {"user_id": "", "passkey_id": "pk_" + "a" * 22, "org": "acme"}
# The profile's routes change the username beside what is allowed: what they are sent.
RENAMED = {"username": "someone-else"}
# A sign-in with another provider reads its body before the bearer token it may come with
# (a guest's, whose first way in it makes): a body it takes.
SIGN_IN = {"id_token": "a.b.c", "nonce": "n"}


def lasting(rule: Rule, method: str) -> bool:
    words = set(rule.rule.strip("/").split("/"))
    names = bool(LASTING & words) or bool(THE_ACCOUNT_OR_AN_ORG.match(rule.rule))
    if method == "PUT" and rule.rule.startswith("/orgs/<org>/roles"):
        return True
    return names and not ends_or_keeps(rule, method)


def ends_or_keeps(rule: Rule, method: str) -> bool:
    return bool(ENDS_OR_KEEPS.search(rule.rule)) or (
        method == "DELETE" and bool(REVOKED.search(rule.rule))
    )


def path_of(rule: Rule, person_id: str) -> str:
    def value(match: re.Match[str]) -> str:
        converter, _, name = match.group(1).rpartition(":")
        found = VALUES.get(converter or name, VALUES.get(name, "x1"))
        return found or person_id

    return re.sub(r"<([^>]+)>", value, rule.rule)


def is_page(rule: Rule) -> bool:
    return rule.endpoint.rpartition(".")[0] in PAGE_BLUEPRINTS


def sent(client: FlaskClient, who: Acting | None, rule: Rule, method: str, path: str) -> Any:
    """The route called by ``who`` (None: by no one signed in), as its client would."""
    if is_page(rule):
        form = {**RENAMED, "email": "alice@example.com"} if rule.rule.endswith("profile") else {}
        if who is None:  # a browser with a CSRF token and no session
            browser = client.application.test_client()
            token = csrf(browser, "/sign-in")
            return browser.open(path, method=method, data={**form, "csrf_token": token})
        return page_post(who, path, **form) if method == "POST" else None
    body: dict[str, str] = {}
    if rule.rule in ("/user", "/api/users/<user_id:user_id>"):
        body = RENAMED
    elif rule.rule == "/auth/firebase":
        body = {"id_token": SIGN_IN["id_token"]}
    elif rule.rule.endswith("/token") and rule.rule.startswith("/auth/identities"):
        body = SIGN_IN
    headers = who.auth if who is not None else {}
    return client.open(path, method=method, json=body, headers=headers)


def asks_a_person(answer: TestResponse) -> bool:
    """The route wants someone signed in: the API's 401, the pages' way to sign in."""
    location = answer.headers.get("Location", "")
    return answer.status_code == 401 or (answer.status_code == 303 and "/sign-in" in location)


def code_of(answer: TestResponse) -> str:
    body = answer.get_json(silent=True) or {}
    return str(body.get("code", answer.status_code))


@pytest.fixture
def app_settings() -> Settings:
    return make_settings(phone_sign_in=True)  # the phone routes are there, with the unit


@pytest.fixture
def person(fake_app: Flask, client: FlaskClient) -> tuple[str, Acting]:
    """alice, who owns the org acme, and a session of support access of hers."""
    hooks = services(fake_app).of(HookServices).hooks
    if "send_sms" in hooks.kinds.names:  # the phone unit's routes text their codes
        hooks.set(SetAuthHook(ADMIN, "send_sms", "http://127.0.0.1:9/sms"))
    root = admin_token(fake_app, client)
    alice = register(client, "alice")["id"]
    made = client.post(
        "/orgs", json={"slug": "acme", "name": "Acme"}, headers=bearer(login(client))
    )
    assert made.status_code == 201
    return alice, acting(fake_app, client, f"/admin/users/{alice}/impersonate", root)


def listed(app: Flask) -> set[tuple[str, str]]:
    """The routes the guard refuses: those the running units name (``OUTLASTING_ROUTES``)."""
    return set(refused(app))


def test_every_route_of_the_list_is_there_and_refused(
    fake_app: Flask, client: FlaskClient, person: tuple[str, Acting]
) -> None:
    alice, who = person
    rules = {(m, r.rule): r for r in fake_app.url_map.iter_rules() for m in r.methods or ()}
    assert listed(fake_app) <= set(rules), listed(fake_app) - set(rules)
    for method, rule in sorted(listed(fake_app)):
        answer = sent(client, who, rules[method, rule], method, path_of(rules[method, rule], alice))
        assert (answer.status_code, code_of(answer)) == (403, "impersonation_forbidden"), rule


def test_every_route_that_makes_something_lasting_refuses_support_access(
    fake_app: Flask, client: FlaskClient, person: tuple[str, Acting]
) -> None:
    alice, who = person
    found: list[tuple[Rule, str, str]] = []
    for rule in fake_app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & CHANGES):
            path = path_of(rule, alice)
            if ADMINS.match(rule.rule) and (method, rule.rule) not in listed(fake_app):
                continue
            if asks_a_person(sent(client, None, rule, method, path)):
                found.append((rule, method, path))  # else a way to sign in, or no person's
    walked = []
    for rule, method, path in (each for each in found if lasting(each[0], each[1])):
        answer = sent(client, who, rule, method, path)
        if answer is None:
            continue  # a page's address that takes no form
        walked.append((method, rule.rule))
        refused = (answer.status_code, code_of(answer))
        assert refused == (403, "impersonation_forbidden"), (method, rule.rule, refused)
    # The walk found the routes the list names, API and pages alike.
    # (A sign-in with another provider takes no session: it is refused with a guest's.)
    profile = {("PUT", "/user"), ("PATCH", "/user"), ("POST", "/account/profile")}
    profile |= {(method, "/api/users/<user_id:user_id>") for method in ("PUT", "PATCH")}
    signing_in = {("POST", "/auth/firebase"), ("POST", "/auth/identities/<provider>/token")}
    assert set(walked) == (listed(fake_app) - signing_in) | profile
    # What ends access stays allowed: a revocation is no refusal of support access.
    ending = [each for each in found if ends_or_keeps(each[0], each[1])]
    assert len(ending) >= 8
    for rule, method, path in ending:
        answer = sent(client, who, rule, method, path)
        assert answer is None or code_of(answer) != "impersonation_forbidden", rule.rule
