"""JSON a client sends: nesting is bounded before parsing, on every route that reads JSON."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st

from application.json_text import MAX_DEPTH, UnreadableJson, read_json, too_deep
from tests.support.api import assert_problem, bearer, login, register, user_token

pytestmark = pytest.mark.unit

DEEP = "[" * 1000 + "]" * 1000  # 2 KB, past the recursion limit of json.loads


def nesting(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=60,
)


@given(json_values, st.integers(min_value=1, max_value=8))
def test_too_deep_is_the_real_nesting(value: Any, limit: int) -> None:
    text = json.dumps(value)
    assert too_deep(text, limit) == (nesting(value) > limit)


@given(st.text(alphabet='[]{}",:1 \\', max_size=300).map(lambda t: t * 20))
@example("[" * 5000)
@example("]" * 5000 + "[" * 5000)
@example('{"a":' * 3000)
@example('"\\' + "[" * 5000)
def test_any_text_is_a_value_or_unreadable(text: str) -> None:
    code = None
    try:
        read_json(text)
    except UnreadableJson as exc:  # never RecursionError
        code = exc.code
    assert code in (None, "json_too_deep", "malformed_json")


def test_the_limit_is_inclusive_and_strings_do_not_nest() -> None:
    assert read_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(UnreadableJson) as caught:
        read_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert caught.value.code == "json_too_deep"
    text = '"\\"' + "[{" * 500 + '"'  # an escaped quote does not end the string
    assert read_json(text) == '"' + "[{" * 500
    with pytest.raises(UnreadableJson) as caught:
        read_json(DEEP)
    assert caught.value.code == "json_too_deep"


def admin_headers(app: Flask, client: FlaskClient) -> dict[str, str]:
    return user_token(app, client, "root", "admin")


# Routes that read no JSON body: multipart uploads, body-less session calls, and the job push
# (its credentials are checked before the body is read).
NOT_JSON = {
    "/datasets",  # the upload units' (their JSON text fields: their own tests)
    "/files",
    "/auth/renew",
    "/auth/logout",
    "/auth/impersonation/end",  # the bearer is all it reads
    "/internal/jobs",
    "/ssf/receive",  # a SET (application/secevent+jwt): the receiver's own tests
    "/auth/email/verification",
    "/api/files",  # the compatibility routes' (docs/migrating.md) upload and whoami
    "/api/v1/auth/whoami",
    "/auth/passkeys/registration/options",  # options: no body
    "/auth/passkeys/authentication/options",
    "/auth/firebase/custom-token",  # the bearer is all it reads
    "/device",  # the device flow's page reads a form (tests/unit/provider/test_oauth_device.py)
    "/oauth/",  # OAuth reads forms and answers RFC 6749's errors (docs/reference/oauth.md)
    "/admin/webhooks/<webhook_id>/deliveries",  # resend: no body
    "/orgs/<org>/domains/<domain>/verify",  # verify: no body
    "/orgs/<org>/sender/verify",  # the org brand unit's sender check: no body
    "/orgs/<org>/sign-in-domain/verify",  # the sign-in host's verify: no body
    "/orgs/<org>/join",  # join: no body
    "/orgs/<org>/log-streams/<stream_id:stream_id>/",  # a log stream's test and resume: no body
    "/orgs/<org>/log-streams/setup-links",  # a log stream's setup link: no body
    "/scim/v2",  # SCIM reads its own JSON and answers in its error schema (test_scim_discovery.py)
}


def test_deep_json_is_400_on_every_route_that_reads_json(
    fake_app: Flask, client: FlaskClient
) -> None:
    headers = admin_headers(fake_app, client)
    user_id = client.get("/user", headers=headers).get_json()["id"]
    tried = set()
    for rule in fake_app.url_map.iter_rules():
        if rule.rule.startswith(tuple(NOT_JSON)) or rule.endpoint.startswith("pages."):
            continue  # the pages read forms (tests/unit/signin/test_pages_signed_out.py)
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"}):
            path = re.sub(r"<[^>]+>", user_id, rule.rule)
            response = client.open(
                path, method=method, headers=headers, data=DEEP, content_type="application/json"
            )
            assert_problem(response, 400, "json_too_deep")
            tried.add(rule.rule)
    assert len(tried) >= 10
    unauthenticated = client.post("/login", data=DEEP, content_type="application/json")
    assert_problem(unauthenticated, 400, "json_too_deep")


def test_a_deep_body_from_a_signed_in_user(client: FlaskClient) -> None:
    register(client)
    response = client.patch(
        "/user", headers=bearer(login(client)), data=DEEP, content_type="application/json"
    )
    assert_problem(response, 400, "json_too_deep")


@pytest.mark.parametrize(
    "text",
    [
        '{"username": "alice", "username": "mallory", "password": "x"}',
        '{"username": "alice", "password": "x", "extra": {"a": 1, "a": 2}}',
    ],
)
def test_repeated_keys_are_400(client: FlaskClient, text: str) -> None:
    body = assert_problem(
        client.post("/login", data=text, content_type="application/json"), 400, "duplicate_key"
    )
    assert "'username'" in body["detail"] or "'a'" in body["detail"]
