"""A client's native apps as ``clients create --ios-app``, ``--android-app`` take them
(docs/reference/native-apps.md): validated in the domain, fingerprints in their upper-case
colon form, shown in the clients' JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.clients.app_ids import (
    AndroidApp,
    check_android_apps,
    check_ios_app,
    check_ios_apps,
    fingerprint,
)
from domain.clients.oauth import OAuthClient
from domain.errors import InvalidInput
from tests.support.app import World

pytestmark = pytest.mark.unit

HEX = (
    "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:"
    "16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5"
)
PLAIN = HEX.replace(":", "").lower()
IOS = "ABCDE12345.com.example.app"


def test_an_ios_app_is_a_team_id_and_a_bundle_id() -> None:
    assert check_ios_app(IOS) == IOS
    assert check_ios_app(" A1B2C3D4E5.org.example.my-app ") == "A1B2C3D4E5.org.example.my-app"


@pytest.mark.parametrize(
    "app_id",
    [
        "abcde12345.com.example.app",  # a team ID is upper case
        "ABCDE1234.com.example.app",  # 9 characters
        "ABCDE123456.com.example.app",  # 11
        "ABCDE12345",  # no bundle ID
        "ABCDE12345.app",  # one segment
        "ABCDE12345.com..app",  # an empty segment
        "ABCDE12345.com.example.app_x",  # an underscore
        "ABCDE12345.com.exämple.app",
        "ABCDE12345." + "a." * 80 + "b",  # longer than 155
        "",
    ],
)
def test_a_malformed_ios_app_is_refused(app_id: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_ios_app(app_id)
    assert info.value.code == "invalid_ios_app"
    assert info.value.errors[0].field == "ios_app"


@pytest.mark.parametrize("given", [HEX, HEX.lower(), PLAIN, PLAIN.upper()])
def test_a_fingerprint_with_or_without_colons_in_any_case_is_stored_upper_case(
    given: str,
) -> None:
    assert fingerprint(given) == HEX


@pytest.mark.parametrize(
    "given",
    [
        HEX[:-3],  # 31 bytes
        HEX + ":00",  # 33
        PLAIN[:-1],  # an odd number of digits
        PLAIN.replace("1", "g", 1),  # not hex
        HEX.replace(":", "::", 1),
        HEX.replace(":", "", 1),  # colons in some places only
        ":" + PLAIN,
        "",
    ],
)
def test_a_malformed_fingerprint_is_refused(given: str) -> None:
    with pytest.raises(InvalidInput) as info:
        fingerprint(given)
    assert info.value.code == "invalid_android_app"


@given(
    digest=st.binary(min_size=32, max_size=32),
    colons=st.booleans(),
    cases=st.lists(st.booleans(), min_size=64, max_size=64),
)
def test_any_spelling_of_a_fingerprint_is_one_form(
    digest: bytes, colons: bool, cases: list[bool]
) -> None:
    canonical = digest.hex(":").upper()
    spelled = "".join(ch.upper() if up else ch for ch, up in zip(digest.hex(), cases, strict=True))
    if colons:
        spelled = ":".join(spelled[i : i + 2] for i in range(0, 64, 2))
    assert fingerprint(spelled) == canonical
    assert AndroidApp("a.b", canonical).fingerprint_bytes() == digest


def test_an_android_app_is_a_package_and_a_fingerprint() -> None:
    app = AndroidApp.parse(f"com.example.app:{PLAIN}")
    assert app == AndroidApp("com.example.app", HEX)
    assert app.fingerprint_bytes() == bytes.fromhex(PLAIN)


@pytest.mark.parametrize(
    "given",
    [
        "com.example.app",  # no fingerprint
        f"app:{HEX}",  # one segment
        f"com.1example.app:{HEX}",  # a segment starting with a digit
        f"com.example-app.x:{HEX}",  # a hyphen
        f"com..app:{HEX}",
        f"_com.example:{HEX}",
        f":{HEX}",
    ],
)
def test_a_malformed_android_app_is_refused(given: str) -> None:
    with pytest.raises(InvalidInput) as info:
        AndroidApp.parse(given)
    assert info.value.code == "invalid_android_app"
    assert info.value.errors[0].field == "android_app"


def test_apps_are_kept_once_each_and_at_most_ten() -> None:
    assert check_ios_apps((IOS, IOS)) == (IOS,)
    assert check_android_apps((f"com.example.app:{HEX}", f"com.example.app:{PLAIN}")) == (
        AndroidApp("com.example.app", HEX),
    )
    with pytest.raises(InvalidInput):
        check_ios_apps(tuple(f"ABCDE12345.com.example.app{i}" for i in range(11)))
    with pytest.raises(InvalidInput):
        check_android_apps(tuple(f"com.example.app{i}:{HEX}" for i in range(11)))


def test_a_client_is_made_with_its_apps_checked() -> None:
    made = OAuthClient.new(
        client_id="c1",
        name="App",
        redirect_uris=("com.example.app:/cb",),
        secret=None,
        scopes=(),
        now=datetime(2026, 5, 1, tzinfo=UTC),
        ios_apps=(IOS,),
        android_apps=(f"com.example.app:{PLAIN}",),
    )
    assert made.ios_apps == (IOS,) and made.android_apps == (AndroidApp("com.example.app", HEX),)
    assert made.has_native_apps


# -- the command line ---------------------------------------------------------------------


def create(world: World, *options: str) -> Any:
    args = ["clients", "create", "--name", "App", "--redirect-uri", "com.example.app:/cb"]
    return world.app.test_cli_runner().invoke(args=[*args, *options])


def test_clients_create_takes_the_apps_and_shows_them() -> None:
    world = World()
    result = create(
        world,
        "--ios-app",
        IOS,
        "--ios-app",
        "FGHIJ67890.com.example.app",
        "--android-app",
        f"com.example.app:{PLAIN}",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["ios_apps"] == [IOS, "FGHIJ67890.com.example.app"]
    expected = [{"package_name": "com.example.app", "sha256_cert_fingerprint": HEX}]
    assert created["android_apps"] == expected
    listed = json.loads(world.app.test_cli_runner().invoke(args=["clients", "list"]).output)
    assert [(c["ios_apps"], c["android_apps"]) for c in listed] == [
        ([IOS, "FGHIJ67890.com.example.app"], expected)
    ]


def test_a_client_without_apps_shows_empty_lists() -> None:
    world = World()
    created = json.loads(create(world).output)
    assert created["ios_apps"] == [] and created["android_apps"] == []


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--ios-app", "abcde12345.com.example.app", "team ID"),
        ("--ios-app", "ABCDE12345.app", "bundle ID"),
        ("--android-app", "com.example.app", "package:SHA256-fingerprint"),
        ("--android-app", f"com.example.app:{PLAIN[:-2]}", "32 bytes"),
        ("--android-app", f"app:{PLAIN}", "two segments"),
    ],
)
def test_clients_create_refuses_a_malformed_app(option: str, value: str, message: str) -> None:
    world = World()
    result = create(world, option, value)
    assert result.exit_code == 1
    assert message in result.output
    assert json.loads(world.app.test_cli_runner().invoke(args=["clients", "list"]).output) == []
