"""Usernames are unique by their UTS #39 skeleton; mixed-script names are refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from domain.accounts.credentials import Username, login_key, username_key
from domain.confusables import mixes_scripts, script, skeleton
from domain.errors import InvalidInput
from tests.support.api import PASSWORD, assert_problem, bearer, login, register

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
CYRILLIC_A, GREEK_O, DOTLESS_I = "\u0430", "\u03bf", "\u0131"


def sign_up(client: FlaskClient, username: str, email: str) -> TestResponse:
    body = {"username": username, "email": email, "password": PASSWORD}
    return client.post("/register", json=body)


def test_the_skeleton_follows_uts_39() -> None:
    assert skeleton(f"p{CYRILLIC_A}ypal") == skeleton("paypal")
    assert skeleton("rn") == skeleton("m")
    assert skeleton("0") == "O" and skeleton("1") == skeleton("I") == "l"
    assert skeleton(skeleton("ꓲ1|Iǀ")) == skeleton("ꓲ1|Iǀ")
    assert (script("a"), script(CYRILLIC_A), script("7"), script("\u0301")) == (
        "Latin",
        "Cyrillic",
        "Common",
        "Inherited",
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("s9900alice", f"s9900al{DOTLESS_I}ce"),
        ("s9900alice", "S9900ALICE"),
        ("Alice", "\uff21\uff4c\uff49\uff43\uff45"),  # fullwidth
        ("scope", "\u0455\u0441\u043e\u0440\u0435"),  # all Cyrillic
        ("william", "wi11iarn"),
        ("f00", "FOO"),
    ],
)
def test_look_alikes_share_one_key(a: str, b: str) -> None:
    assert Username(a).normalized == Username(b).normalized == username_key(b)
    assert login_key(b) == Username(a).normalized
    assert login_key("Alice@Example.com") == "alice@example.com"


@pytest.mark.parametrize(
    "name",
    [f"s9900{CYRILLIC_A}lice", f"s9900b{GREEK_O}b", "Ab\u0432", "\u4e2d\u0430\u0431"],
)
def test_new_names_of_mixed_scripts_are_refused(name: str) -> None:
    assert mixes_scripts(name)
    with pytest.raises(InvalidInput) as caught:
        Username.chosen(name)
    assert caught.value.code == "mixed_script_username"
    assert Username(name).value == name  # a name stored before the rule still reads


@pytest.mark.parametrize(
    "name",
    ["alice_2", "山田たろう", "山田タロウ_x", "김철수", "Ελένη", "Иван", "jose\u0301", "李明abc"],
)
def test_one_script_and_the_usual_east_asian_mixes_are_fine(name: str) -> None:
    assert Username.chosen(name).value


def test_homoglyphs_of_a_taken_name_are_409_over_http(client: FlaskClient) -> None:
    assert sign_up(client, "s9900alice", "a@example.com").status_code == 201
    assert sign_up(client, "s9900bob", "b@example.com").status_code == 201
    body = assert_problem(
        sign_up(client, f"s9900al{DOTLESS_I}ce", "c@example.com"), 409, "username_taken"
    )
    assert body["errors"][0]["field"] == "username"
    # Mixed-script look-alikes of a taken name are taken too: that is the reason to give.
    for name in (f"s9900{CYRILLIC_A}lice", f"s9900b{GREEK_O}b"):
        taken = assert_problem(sign_up(client, name, "d@example.com"), 409, "username_taken")
        assert taken["errors"][0]["field"] == "username"
    problem = assert_problem(
        sign_up(client, f"d{CYRILLIC_A}ve", "d@example.com"), 422, "mixed_script_username"
    )
    assert problem["errors"][0]["field"] == "username"
    # Renames follow the same rules, and a look-alike of one's own name is one's own name.
    register(client, "carol")
    headers = bearer(login(client, "carol"))
    rename = client.patch("/user", headers=headers, json={"username": "S99OOALICE"})
    assert_problem(rename, 409, "username_taken")
    mixed = client.patch("/user", headers=headers, json={"username": f"c{CYRILLIC_A}rol"})
    assert_problem(mixed, 422, "mixed_script_username")
    assert client.patch("/user", headers=headers, json={"username": "CAROL"}).status_code == 200


def test_a_look_alike_of_the_name_signs_in_to_that_account(client: FlaskClient) -> None:
    register(client, "william")
    assert login(client, "WI11IARN")


def test_the_shipped_unicode_data_is_what_the_pinned_library_makes() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/unicode_security_data.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
