"""The profile's attributes on /account on the fakes (docs/pages.md, "The account area"): the
ones the person may write are a form; the ones they may read and not write are shown,
read-only, with their values; the ones they may not read are not there."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from bootstrap.accounts import AccountsAdapters
from tests.fakes.accounts import FakeProfileSchemaStore
from tests.support.app import World
from tests.support.pages import csrf, sign_up

pytestmark = pytest.mark.unit

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "floor": {"type": "integer", "title": "Floor", "x-write": ["user"]},
        "department": {"type": "string", "title": "Department", "x-write": ["admin"]},
        "contractor": {"type": "boolean", "title": "Contractor"},  # read by default
        "cost_centre": {"type": "string", "title": "Cost centre"},
        "tier": {"enum": ["gold", "silver"], "title": "Tier", "x-read": ["admin"]},
    },
}


def with_schema(world: World, values: dict[str, Any]) -> None:
    store = world.adapters.of(AccountsAdapters).profile_schemas
    assert isinstance(store, FakeProfileSchemaStore)
    store.put(SCHEMA)
    (uid,) = world.store.users
    world.store.users[uid] = replace(world.store.users[uid], attributes=values)


def read_only(html: str) -> list[tuple[str, str]]:
    facts = re.search(r'<dl class="record">(.*?)</dl>', html, re.S)
    assert facts is not None, html
    return re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", facts.group(1))


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Yes", "Not set", "you can see these, not change them")),
        ("es", ("Sí", "Sin configurar", "puedes verlos, no cambiarlos")),
    ],
)
def test_what_the_person_may_read_and_not_write_is_shown_read_only(
    language: str, words: tuple[str, str, str]
) -> None:
    yes, not_set, said = words
    world = World()
    sign_up(world)
    values = {"department": "Sales", "contractor": True, "tier": "gold", "floor": 3}
    with_schema(world, values)
    html = world.client.get("/account", headers={"Accept-Language": language}).get_data(
        as_text=True
    )
    assert said in html
    assert read_only(html) == [
        ("Department", "Sales"),
        ("Contractor", yes),
        ("Cost centre", not_set),
    ]
    assert "gold" not in html and "Tier" not in html  # not the person's to read
    form = html[html.index('action="/account/attributes"') :]
    assert 'name="attributes.floor"' in form and 'value="3"' in form
    assert 'name="attributes.department"' not in html  # shown, not a field


def test_read_only_attributes_alone_show_no_form_and_stay_unwritable() -> None:
    world = World()
    sign_up(world)
    with_schema(world, {"department": "Sales"})
    store = world.adapters.of(AccountsAdapters).profile_schemas
    assert isinstance(store, FakeProfileSchemaStore)
    store.put({"type": "object", "properties": {"department": SCHEMA["properties"]["department"]}})
    html = world.client.get("/account").get_data(as_text=True)
    assert read_only(html) == [("Department", "Sales")]
    assert 'action="/account/attributes"' not in html
    # A forged field for it is refused, and nothing is written.
    token = csrf(world.client, "/account")
    answer = world.client.post(
        "/account/attributes", data={"attributes.department": "Ops", "csrf_token": token}
    )
    assert answer.status_code in (303, 422)
    (user,) = world.store.users.values()
    assert user.attributes == {"department": "Sales"}
