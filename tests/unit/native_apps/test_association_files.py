"""The association files (docs/reference/native-apps.md): made from every registered
client's apps, each once in a stable order, in Apple's and Google's documented formats (the
JSON Schemas beside this module); 200 ``application/json``, ``Cache-Control: max-age=3600``,
never a redirect, no cookie; with no app, empty lists; read once per ``APPS_TTL`` per
process."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from application.native_apps.association import APPS_TTL, AssociationFiles
from domain.clients.app_ids import AndroidApp
from domain.clients.oauth import OAuthClient
from domain.native_apps.association import (
    GET_LOGIN_CREDS,
    HANDLE_ALL_URLS,
    apk_key_hash_origin,
    apple_app_site_association,
    asset_links,
)
from domain.native_apps.paths import APP_SIGN_IN_PATH
from tests.fakes.clients import FakeOAuthClients
from tests.support.app import World
from tests.support.app_associations import ANDROID, APPLE, ValidationError, check

pytestmark = pytest.mark.unit

APPLE_FILE = "/.well-known/apple-app-site-association"
ANDROID_FILE = "/.well-known/assetlinks.json"
FP1 = ":".join(["AB"] * 32)
FP2 = ":".join(["0F"] * 32)
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def register(world: World, *options: str) -> None:
    args = ["clients", "create", "--name", "App", "--redirect-uri", "com.example.app:/cb"]
    result = world.app.test_cli_runner().invoke(args=[*args, *options])
    assert result.exit_code == 0, result.output


def two_clients() -> World:
    world = World()
    register(
        world,
        "--ios-app",
        "ABCDE12345.com.example.app",
        "--android-app",
        f"com.example.app:{FP1}",
    )
    register(  # the same apps again, and more
        world,
        "--ios-app",
        "FGHIJ67890.com.example.other",
        "--ios-app",
        "ABCDE12345.com.example.app",
        "--android-app",
        f"com.example.app:{FP2.replace(':', '').lower()}",
        "--android-app",
        f"com.example.app:{FP1}",
        "--android-app",
        f"org.example.second:{FP2}",
    )
    register(world)  # a client without apps
    return world


def test_the_apple_file_names_every_app_once_for_the_sign_in_path_and_credentials() -> None:
    answer = two_clients().client.get(APPLE_FILE)
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    body = json.loads(answer.get_data())
    check(APPLE, body)
    apps = ["ABCDE12345.com.example.app", "FGHIJ67890.com.example.other"]
    assert body == {
        "applinks": {
            "details": [
                {
                    "appIDs": apps,
                    "components": [
                        {
                            "/": APP_SIGN_IN_PATH,
                            "?": {"token": "?*"},
                            "comment": "A sign-in link of a code the app asked for",
                        }
                    ],
                }
            ]
        },
        "webcredentials": {"apps": apps},
    }


def test_the_android_file_has_a_statement_per_package_with_its_fingerprints() -> None:
    answer = two_clients().client.get(ANDROID_FILE)
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    body = json.loads(answer.get_data())
    check(ANDROID, body)
    relations = [HANDLE_ALL_URLS, GET_LOGIN_CREDS]
    assert relations == [
        "delegate_permission/common.handle_all_urls",
        "delegate_permission/common.get_login_creds",
    ]
    assert body == [
        {
            "relation": relations,
            "target": {
                "namespace": "android_app",
                "package_name": "com.example.app",
                "sha256_cert_fingerprints": [FP1, FP2],
            },
        },
        {
            "relation": relations,
            "target": {
                "namespace": "android_app",
                "package_name": "org.example.second",
                "sha256_cert_fingerprints": [FP2],
            },
        },
    ]


def test_with_no_app_registered_both_files_are_empty() -> None:
    world = World()
    register(world)
    apple = world.client.get(APPLE_FILE)
    assert apple.status_code == 200
    assert apple.get_json() == {"applinks": {"details": []}, "webcredentials": {"apps": []}}
    check(APPLE, apple.get_json())
    android = world.client.get(ANDROID_FILE)
    assert android.status_code == 200 and android.get_json() == []
    check(ANDROID, android.get_json())


@pytest.mark.parametrize("path", [APPLE_FILE, ANDROID_FILE])
def test_the_files_are_cached_an_hour_and_set_no_cookie(path: str) -> None:
    answer = two_clients().client.get(path)
    assert answer.headers["Cache-Control"] == "public, max-age=3600"
    assert "Set-Cookie" not in answer.headers


@pytest.mark.parametrize("path", [APPLE_FILE, ANDROID_FILE])
def test_no_variant_of_the_files_is_redirected(path: str) -> None:
    world = two_clients()
    variants = [
        world.client.get(path + "/"),
        world.client.get(path, headers={"Host": "127.0.0.1:8000"}),
        world.client.get(path, headers={"Host": "LOCALHOST:8000"}),
        world.client.get(path, base_url="https://127.0.0.1:8000"),
        world.client.get(path + "?x=1"),
    ]
    for answer in variants:
        assert not 300 <= answer.status_code < 400, (answer.status_code, answer.headers)
    assert variants[0].status_code == 404  # a trailing slash is no file, nor a redirect to one
    assert all(answer.status_code == 200 for answer in variants[1:])


def test_the_schemas_refuse_what_the_formats_do_not_allow() -> None:
    """The schemas check something: a file off Apple's or Google's format fails them."""
    apple = apple_app_site_association(["ABCDE12345.com.example.app"])
    for broken in (
        {**apple, "applinks": {"details": [{"appIDs": ["com.example.app"]}]}},  # no team ID
        {**apple, "applinks": {"details": [{"components": [{"path": "/x"}]}]}},
        {**apple, "webcredentials": {"apps": "ABCDE12345.com.example.app"}},
    ):
        with pytest.raises(ValidationError):
            check(APPLE, broken)
    statement = asset_links([AndroidApp("com.example.app", FP1)])[0]
    target = {"namespace": "android_app", "package_name": "com.example.app"}
    assert statement["target"] == {**target, "sha256_cert_fingerprints": [FP1]}
    for broken_statement in (
        {**statement, "relation": "delegate_permission/common.handle_all_urls"},
        {**statement, "target": {**target, "namespace": "ios_app"}},
        {**statement, "target": {**target, "sha256_cert_fingerprints": [FP1.lower()]}},
        {**statement, "target": target},  # no fingerprint
    ):
        with pytest.raises(ValidationError):
            check(ANDROID, [broken_statement])


# -- read once per APPS_TTL ---------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_with(client_id: str, *, ios: tuple[str, ...] = (), at: int = 0) -> OAuthClient:
    return OAuthClient.new(
        client_id=client_id,
        name="App",
        redirect_uris=("com.example.app:/cb",),
        secret=None,
        scopes=(),
        now=NOW + timedelta(seconds=at),
        ios_apps=ios,
    )


def test_the_apps_are_read_once_per_ttl_and_a_new_one_shows_after_it() -> None:
    clients, clock = FakeOAuthClients(), Clock()
    clients.add(client_with("c1", ios=("ABCDE12345.com.example.app",)))
    files = AssociationFiles(clients=clients, now=clock)
    first = files.apple()
    for _ in range(5):  # a crawler, the passkey ceremonies: no read of their own
        assert files.apple() == first
        files.android()
        files.passkey_origins()
    assert clients.native_reads == 1
    clients.add(client_with("c2", ios=("FGHIJ67890.com.example.app",), at=1))
    clock.now += APPS_TTL - 1
    assert files.apple() == first
    clock.now += 1
    assert files.apple()["webcredentials"] == {
        "apps": ["ABCDE12345.com.example.app", "FGHIJ67890.com.example.app"]
    }
    assert clients.native_reads == 2


def test_an_android_apps_passkey_origin_is_its_certificates_hash() -> None:
    app = AndroidApp("com.example.app", FP1)
    # base64url of 32 bytes 0xAB, unpadded
    assert (
        apk_key_hash_origin(app)
        == "android:apk-key-hash:" + "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s"
    )
