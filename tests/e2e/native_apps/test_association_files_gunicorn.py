"""The association files end to end (docs/reference/native-apps.md): apps registered with
``clients create`` as an operator runs it, kept in the Firestore emulator, served by
firegate under gunicorn as Apple's and Google's crawlers fetch them: 200 JSON in their
documented formats (the JSON Schemas of tests/unit/native_apps), cached an hour, no cookie,
never a redirect."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.support.app_associations import ANDROID, APPLE, check
from tests.support.servers import cli, serving

pytestmark = pytest.mark.e2e

IOS = "ABCDE12345.com.example.app"
FINGERPRINT = ":".join(["5A"] * 32)


def register(*options: str) -> dict[str, Any]:
    args = ["clients", "create", "--name", "App", "--redirect-uri", "com.example.app:/cb"]
    found: dict[str, Any] = json.loads(cli([*args, *options]))
    return found


def test_the_files_are_served_from_the_registered_apps(firestore: Any) -> None:
    made = register("--ios-app", IOS, "--android-app", f"com.example.app:{'5a' * 32}")
    assert made["android_apps"] == [
        {"package_name": "com.example.app", "sha256_cert_fingerprint": FINGERPRINT}
    ]
    register("--ios-app", IOS)  # the same app again: named once
    register()  # none
    with serving("gunicorn-native-apps.log") as url:
        apple = requests.get(f"{url}/.well-known/apple-app-site-association", timeout=10)
        android = requests.get(f"{url}/.well-known/assetlinks.json", timeout=10)
        for answer in (apple, android):
            assert answer.status_code == 200
            assert answer.headers["Content-Type"] == "application/json"
            assert answer.headers["Cache-Control"] == "public, max-age=3600"
            assert "Set-Cookie" not in answer.headers
        check(APPLE, apple.json())
        assert apple.json()["webcredentials"] == {"apps": [IOS]}
        assert apple.json()["applinks"]["details"][0]["appIDs"] == [IOS]
        check(ANDROID, android.json())
        assert [statement["target"] for statement in android.json()] == [
            {
                "namespace": "android_app",
                "package_name": "com.example.app",
                "sha256_cert_fingerprints": [FINGERPRINT],
            }
        ]
        for variant in (
            f"{url}/.well-known/assetlinks.json/",
            f"{url}/.well-known/apple-app-site-association/",
            f"{url.replace('127.0.0.1', 'localhost')}/.well-known/assetlinks.json",
        ):
            answer = requests.get(variant, timeout=10, allow_redirects=False)
            assert not answer.is_redirect, (variant, answer.status_code)
            assert answer.status_code in (200, 404), (variant, answer.status_code)
