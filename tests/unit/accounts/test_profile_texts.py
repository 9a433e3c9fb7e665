"""The profile's texts (``PROFILE_TEXTS``, docs/reference/accounts.md): each one, whichever it
is, set and cleared on the API and on the profile page, bounded, stored, exported and imported,
and documented. A text named in the domain but forgotten in a schema, a page, the translations
or the reference fails here (docs/decisions/0363-one-list-for-each-thing-a-feature-extends.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain.accounts.profile import NAME_MAX, PROFILE_TEXTS
from domain.accounts.users import User
from domain.errors import InvalidInput
from tests.fakes.kernel import InMemoryStore
from tests.support.account_pages import alice, html_of, send, world
from tests.support.api import bearer, login, register
from tests.support.app import World

__all__ = ["world"]  # a fixture, used here

pytestmark = pytest.mark.unit
REFERENCE = Path(__file__).parents[3] / "docs" / "reference" / "accounts.md"


def test_the_user_holds_each_text_and_edits_it(world: World) -> None:
    user = alice(world)
    assert set(user.texts()) == set(PROFILE_TEXTS)
    for text in PROFILE_TEXTS:
        edited = user.edited({text: "Set"}, user.updated_at)
        assert edited.texts()[text] == "Set" and getattr(edited, text) == "Set"
        assert edited.edited({text: None}, user.updated_at).texts()[text] is None
        with pytest.raises(InvalidInput) as refused:
            user.edited({text: "x" * (NAME_MAX + 1)}, user.updated_at)
        assert refused.value.errors[0].field == text
    with pytest.raises(InvalidInput):
        user.with_texts({"role": "admin"})


@pytest.mark.parametrize("text", PROFILE_TEXTS)
def test_each_text_is_set_answered_bounded_and_cleared_on_the_api(
    client: FlaskClient, text: str
) -> None:
    register(client, "alice")
    headers = bearer(login(client, "alice"))
    assert client.get("/user", headers=headers).get_json()[text] is None
    patched = client.patch("/user", json={text: "Written"}, headers=headers)
    assert patched.status_code == 200 and patched.get_json()[text] == "Written"
    assert client.get("/user", headers=headers).get_json()[text] == "Written"
    too_long = client.patch("/user", json={text: "x" * (NAME_MAX + 1)}, headers=headers)
    assert too_long.status_code == 422
    assert too_long.get_json()["errors"][0]["field"] == text
    assert client.patch("/user", json={text: "a\x00b"}, headers=headers).status_code == 422
    replaced = client.put("/user", json={"username": "alice"}, headers=headers)
    assert replaced.status_code == 200 and replaced.get_json()[text] is None  # PUT clears it


@pytest.mark.parametrize("text", PROFILE_TEXTS)
def test_each_text_has_its_input_on_the_profile_page_and_is_saved(world: World, text: str) -> None:
    html = html_of(world.client.get("/account"))
    label = re.search(rf'<label for="profile-{text}">([^<]+)</label>', html)
    assert label is not None and label.group(1).strip(), f"no labelled input for {text}"
    spanish = html_of(world.client.get("/account", headers={"Accept-Language": "es"}))
    translated = re.search(rf'<label for="profile-{text}">([^<]+)</label>', spanish)
    assert translated is not None and translated.group(1) != label.group(1)
    form = {"username": "alice", "email": "alice@example.com", text: "Written"}
    assert send(world, "/account/profile", form).status_code == 303
    assert alice(world).texts()[text] == "Written"
    assert 'value="Written"' in html_of(world.client.get("/account"))
    refused = send(world, "/account/profile", {**form, text: "x" * (NAME_MAX + 1)})
    assert refused.status_code == 422
    beside = re.search(rf'id="profile-{text}-error" role="alert">([^<]+)<', html_of(refused))
    assert beside is not None and str(NAME_MAX) in beside.group(1)
    send(world, "/account/profile", {**form, text: ""})
    assert alice(world).texts()[text] is None  # an empty one clears it


def test_export_writes_every_text_and_import_reads_it_back(
    fake_app: Flask, store: InMemoryStore, tmp_path: Path
) -> None:
    line = {"id": "u-1", "username": "hana", "email": "hana@example.com", "role": "user"}
    texts = {text: f"Hana's {text}" for text in PROFILE_TEXTS}
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({**line, **texts}) + "\n")
    cli = fake_app.test_cli_runner()
    result = cli.invoke(args=["users", "import", str(source), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    hana: User = store.users["u-1"]
    assert hana.texts() == texts
    out = tmp_path / "out.jsonl"
    assert cli.invoke(args=["users", "export", str(out)]).exit_code == 0
    exported = json.loads(out.read_text().splitlines()[0])
    assert {text: exported[text] for text in PROFILE_TEXTS} == texts
    changed = dict.fromkeys(PROFILE_TEXTS)
    source.write_text(json.dumps({**line, **changed}) + "\n")
    args = ["users", "import", str(source), "--format", "jsonl", "--update"]
    assert cli.invoke(args=args).exit_code == 0
    assert store.users["u-1"].texts() == changed


def test_the_reference_names_each_text() -> None:
    reference = REFERENCE.read_text()
    shape = re.search(r"The user representation is `(\{[^`]+\})`", reference)
    paragraph = re.search(r"The \*\*profile's texts\*\* are ([^:]+):", reference)
    assert shape is not None and paragraph is not None
    for text in PROFILE_TEXTS:
        assert f'"{text}"' in shape.group(1), f"{text} is not in the user representation"
        assert f"`{text}`" in paragraph.group(1), f"{text} is not among the profile's texts"
