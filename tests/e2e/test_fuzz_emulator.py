"""The fuzz tests of the fakes (tests/unit/test_get_fuzz.py, test_form_fuzz.py,
test_oauth_fuzz.py) again on the Firestore emulator: every GET and POST rule of the URL map
with any path variables (among them what no Firestore document ID can be: a slash, "." and
"..", ``__reserved__``, 1,600 bytes), query and form, and the provider's token, PAR,
authorization and introspection endpoints with any parameters, through the real adapters,
where a fake's dictionary lookup would hide what Firestore refuses: never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from bootstrap import build_adapters
from tests.support.app import app_on
from tests.support.fuzz import (
    AUTHORIZE,
    FIELDS,
    QUERY_NAMES,
    TOKEN,
    TOKEN_ONLY,
    Browsers,
    form_values,
    forms,
    fuzz,
    get_case,
    path_parts,
    post_case,
    query_values,
    rules_of,
)
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(firestore: Any) -> Flask:
    settings = make_settings(oauth_dynamic_registration=True)
    return app_on(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def browsers(app: Flask) -> Browsers:
    return Browsers(app)


def answered(rule: str, sent: object, answer: Any) -> None:
    assert answer.status_code < 500, (rule, sent, answer.get_data(as_text=True)[:300])


@fuzz(400)
@given(
    which=st.integers(0, 10_000),
    parts=st.lists(path_parts, min_size=3, max_size=3),
    query=st.lists(st.tuples(st.sampled_from(QUERY_NAMES), query_values), max_size=4),
    who=st.sampled_from(["anonymous", "browser", "bearer"]),
)
def test_every_get_route_answers_any_path_and_query(
    app: Flask,
    browsers: Browsers,
    *,
    which: int,
    parts: list[str],
    query: list[tuple[str, str]],
    who: str,
) -> None:
    get_case(browsers, rules_of(app, "GET"), which=which, parts=parts, query=query, who=who)


@fuzz(300)
@given(
    which=st.integers(0, 10_000),
    parts=st.lists(path_parts, min_size=3, max_size=3),
    form=st.lists(st.tuples(st.sampled_from(FIELDS), form_values), max_size=6),
    signed_in=st.booleans(),
)
def test_every_post_route_answers_any_form(
    app: Flask,
    browsers: Browsers,
    *,
    which: int,
    parts: list[str],
    form: list[tuple[str, str]],
    signed_in: bool,
) -> None:
    rules = rules_of(app, "POST")
    post_case(browsers, rules, which=which, parts=parts, form=form, signed_in=signed_in)


@fuzz(150)
@given(
    path=st.sampled_from(["/oauth/token", "/oauth/par", "/oauth/introspect", "/oauth/revoke"]),
    token_form=forms(TOKEN),
    other_form=forms(TOKEN_ONLY),
)
def test_the_provider_answers_any_form(
    app: Flask,
    path: str,
    token_form: MultiDict[str, str],
    other_form: MultiDict[str, str],
) -> None:
    form = token_form if path == "/oauth/token" else other_form
    answered(path, form, app.test_client().post(path, data=form))


@fuzz(150)
@given(form=forms(AUTHORIZE), post=st.booleans())
def test_the_authorization_endpoint_answers_any_request_signed_in(
    browsers: Browsers, form: MultiDict[str, str], post: bool
) -> None:
    client = browsers.admin
    if post:
        answer = client.post("/oauth/authorize", data=form)
    else:
        answer = client.get("/oauth/authorize", query_string=form)
    answered("/oauth/authorize", form, answer)
