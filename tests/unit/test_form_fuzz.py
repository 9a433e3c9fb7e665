"""Every POST rule of the app under any form (docs/reference/pages.md and the pages'
reference): the fields the pages and flows read (``username``, ``next``, ``scopes``,
``metadata_xml`` …), repeated or not, with any values and the session's valid CSRF token,
posted to any POST route with any path variables, from an admin's signed-in browser and an
anonymous one: never a 5xx and never an exception through Flask.

schemathesis (tests/e2e/test_fuzz_openapi.py) fuzzes the JSON operations the OpenAPI
document describes, and tests/unit/provider/test_oauth_fuzz.py the provider's forms; the
pages' forms are in neither. This takes every POST rule of the app's URL map, on the fakes, with
hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.app import World
from tests.support.fuzz import FIELDS, Browsers, form_values, fuzz, path_parts, post_case, rules_of

pytestmark = pytest.mark.unit


class FormWorld(World):
    def __init__(self) -> None:
        super().__init__()
        self.browsers = Browsers(self.app)
        self.rules = rules_of(self.app, "POST")


@pytest.fixture(scope="module")
def world() -> FormWorld:
    return FormWorld()


@fuzz(800)
@given(
    which=st.integers(0, 10_000),
    parts=st.lists(path_parts, min_size=3, max_size=3),
    form=st.lists(st.tuples(st.sampled_from(FIELDS), form_values), max_size=6),
    signed_in=st.booleans(),
)
def test_every_post_route_answers_any_form(
    world: FormWorld,
    which: int,
    parts: list[str],
    form: list[tuple[str, str]],
    signed_in: bool,
) -> None:
    post_case(world.browsers, world.rules, which=which, parts=parts, form=form, signed_in=signed_in)
