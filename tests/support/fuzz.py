"""What the fuzz tests share (hypothesis): values that reach the checks as well as garbage,
forged JWTs, the provider's parameters by endpoint, the query parameters and form fields the
service reads, path variables Firestore could stumble on, every rule of the URL map, and the
browsers that send them (an admin's, signed in again whenever a form ended its session, and an
anonymous one). Used on the fakes (tests/unit/test_*_fuzz.py) and on the emulator
(tests/e2e/test_fuzz_emulator.py)."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from domain.clients.oauth import DEVICE_CODE
from domain.provider.assertions import ASSERTION_TYPE
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.oauth import REDIRECT
from tests.support.pages import csrf


def fuzz(examples: int) -> settings:
    """Hypothesis's settings for a fuzz test of ``examples`` cases, the same cases each run."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TOKEN_TYPES = [
    "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:token-type:refresh_token",
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:jwt",
]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
forged_jwts = st.tuples(
    st.dictionaries(
        st.sampled_from(["alg", "kid", "typ", "jwk", "crit", "x5c"]), json_values, max_size=4
    ),
    st.dictionaries(
        st.sampled_from(["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "sid"]),
        json_values,
        max_size=6,
    ),
    st.binary(max_size=64),
).map(
    lambda parts: ".".join(
        [b64(json.dumps(parts[0]).encode()), b64(json.dumps(parts[1]).encode()), b64(parts[2])]
    )
)
texts = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["", " ", "openid", "openid profile email offline_access", REDIRECT]),
    st.binary(max_size=60).map(lambda data: data.decode("latin-1")),
    forged_jwts,
)

# Each endpoint's parameters, and values that reach its checks as well as garbage.
COMMON = {
    "client_id": texts,
    "client_secret": texts,
    "client_assertion_type": st.sampled_from([ASSERTION_TYPE, "", "x"]) | texts,
    "client_assertion": forged_jwts | texts,
    "scope": texts,
    "resource": texts | st.sampled_from(["https://api.example.com/", "https://a.b/#f"]),
}
TOKEN = {
    **COMMON,
    "grant_type": st.sampled_from(
        [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
            DEVICE_CODE,
            TOKEN_EXCHANGE,
        ]
    )
    | texts,
    "code": texts,
    "redirect_uri": texts,
    "code_verifier": texts,
    "refresh_token": texts,
    "device_code": texts,
    "subject_token": forged_jwts | texts,
    "subject_token_type": st.sampled_from(TOKEN_TYPES) | texts,
    "actor_token": forged_jwts | texts,
    "actor_token_type": st.sampled_from(TOKEN_TYPES) | texts,
    "requested_token_type": st.sampled_from(TOKEN_TYPES) | texts,
    "audience": texts,
}
AUTHORIZE = {
    **COMMON,
    "response_type": st.sampled_from(["code", "token", "id_token", "code id_token"]) | texts,
    "redirect_uri": st.just(REDIRECT) | texts,
    "state": texts,
    "nonce": texts,
    "prompt": st.sampled_from(["none", "login", "consent", "select_account", "none login"]) | texts,
    "max_age": st.sampled_from(["0", "1", "-1", "1e9", "99999999999999999999"]) | texts,
    "id_token_hint": forged_jwts | texts,
    "login_hint": texts,
    "claims": json_values.map(json.dumps) | texts,
    "code_challenge": texts,
    "code_challenge_method": st.sampled_from(["S256", "plain", "s256"]) | texts,
    "request_uri": st.just("urn:ietf:params:oauth:request_uri:") | texts,
    "request": forged_jwts | texts,
    "ui_locales": texts,
    "organization": texts,
    "acr_values": texts,
    "display": texts,
}
TOKEN_ONLY = {**COMMON, "token": forged_jwts | texts, "token_type_hint": texts}
LOGOUT = {
    "id_token_hint": forged_jwts | texts,
    "post_logout_redirect_uri": texts,
    "client_id": texts,
    "state": texts,
    "ui_locales": texts,
}


def forms(fields: dict[str, Any]) -> st.SearchStrategy[MultiDict[str, str]]:
    """Some of ``fields``, each once or repeated (a repeated parameter is an error of its
    own in RFC 6749 §3.1)."""
    pairs = st.lists(
        st.sampled_from(sorted(fields)).flatmap(
            lambda name: st.lists(fields[name], min_size=1, max_size=2).map(
                lambda values: [(name, v) for v in values]
            )
        ),
        max_size=len(fields),
    )
    return pairs.map(lambda groups: MultiDict([pair for group in groups for pair in group]))


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
query_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["", "0", "-1", "1", "999999999999999999999", "1e9", "null", "/", "//x.example"]
    ),
    st.sampled_from(["%00", "..", "../../etc/passwd", "a" * 2000, "\u202e", "2026-13-45T99:99"]),
)


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
form_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", "on", "true", "0", "-1", "admin", "owner", "member", "allow", "deny"]),
    st.sampled_from(["root", "root@example.com", "https://x.example/", "/account", "//evil"]),
    st.sampled_from(["<x/>", "a" * 3000, "\u202e", "\x00", "x | y", "a:b | Read"]),
)

# Path variables: any text, and what a Firestore document ID cannot be (a slash, "." or "..",
# __reserved__, over 1,500 bytes)
path_parts = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(["/", "a/b", ".", "..", "__x__", "__name__", "a" * 1600, "%2F", "\u0000"]),
)


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


def rules_of(app: Flask, method: str) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if method in (rule.methods or ())),
        key=lambda rule: rule.rule,
    )


def signed_in_browser(app: Flask, name: str) -> FlaskClient:
    """A browser signed in as ``name`` (registered through the API first)."""
    client = app.test_client()
    register(client, name)
    form = {"username": name, "password": PASSWORD, "csrf_token": csrf(client, "/sign-in")}
    assert client.post("/sign-in", data=form).status_code == 303
    return client


class Browsers:
    """An admin's browser and bearer token, and an anonymous browser, on ``app``. A form may
    sign the admin out, or delete the account: a new admin then takes over; one may sign the
    anonymous browser up or in: a new browser then takes its place. The CSRF token is read
    anew for each form (a session that starts or ends changes it)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.admins = 0
        self.admin = self.new_admin()
        self.admin_bearer = bearer(login(app.test_client(), f"root{self.admins}"))
        self.anonymous = app.test_client()

    def new_admin(self) -> FlaskClient:
        self.admins += 1
        name = f"root{self.admins}"
        client = signed_in_browser(self.app, name)
        self.app.extensions["firegate"].of(AccountServices).admin.set_role(SetRole(name, "admin"))
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


def get_case(
    browsers: Browsers,
    rules: list[Rule],
    *,
    which: int,
    parts: list[str],
    query: list[Any],
    who: str,
) -> Any:
    """One GET of the route fuzz: rule ``which`` (modulo their number) with ``parts`` as its
    variables and ``query``, as ``who`` (anonymous, an admin's browser, an admin's bearer)."""
    rule = rules[which % len(rules)]
    client = browsers.admin if who == "browser" else browsers.anonymous
    headers: dict[str, str] = browsers.admin_bearer if who == "bearer" else {}
    answer = client.get(path_of(rule, parts), query_string=query, headers=headers)
    assert answer.status_code < 500, (rule.rule, parts, query, answer.get_data(as_text=True)[:300])
    return answer


def post_case(
    browsers: Browsers,
    rules: list[Rule],
    *,
    which: int,
    parts: list[str],
    form: list[tuple[str, str]],
    signed_in: bool,
) -> Any:
    """One POST of the route fuzz: rule ``which`` with ``form`` and the browser's CSRF token,
    signed in as an admin or not."""
    rule = rules[which % len(rules)]
    client, token = browsers.poster(signed_in)
    answer = client.post(path_of(rule, parts), data=MultiDict([*form, ("csrf_token", token)]))
    assert answer.status_code < 500, (rule.rule, form, answer.get_data(as_text=True)[:300])
    return answer
