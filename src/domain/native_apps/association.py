"""The association files made from the registered native apps (docs/reference/native-apps.md):
Apple's ``apple-app-site-association`` (universal links and shared web credentials) and
Digital Asset Links' ``assetlinks.json`` (Android's app links and shared credentials), and the
origin a passkey made in an Android app answers with."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence

from domain.clients.app_ids import AndroidApp
from domain.native_apps.paths import APP_SIGN_IN_PATH, APP_SIGN_IN_QUERY

# The relations an Android app is given: to open the site's links, and to use the
# credentials (passwords, passkeys) saved for it
HANDLE_ALL_URLS = "delegate_permission/common.handle_all_urls"
GET_LOGIN_CREDS = "delegate_permission/common.get_login_creds"
ANDROID_RELATIONS = (HANDLE_ALL_URLS, GET_LOGIN_CREDS)


def apple_app_site_association(app_ids: Sequence[str]) -> dict[str, object]:
    """The apps' universal links (the app sign-in path, with its token: Apple's components
    form, ``?`` matching the query item) and their shared web credentials, each App ID once
    in the order given; with none, both lists empty."""
    apps = list(dict.fromkeys(app_ids))
    component = {
        "/": APP_SIGN_IN_PATH,
        "?": {APP_SIGN_IN_QUERY: "?*"},
        "comment": "A sign-in link of a code the app asked for",
    }
    details = [{"appIDs": apps, "components": [component]}] if apps else []
    return {"applinks": {"details": details}, "webcredentials": {"apps": apps}}


def asset_links(apps: Iterable[AndroidApp]) -> list[dict[str, object]]:
    """One statement per package, in the order first given, with each of its fingerprints
    once: both relations, for the ``android_app`` target; with none, an empty list."""
    by_package: dict[str, dict[str, None]] = {}
    for app in apps:
        by_package.setdefault(app.package_name, {})[app.sha256_cert_fingerprint] = None
    return [
        {
            "relation": list(ANDROID_RELATIONS),
            "target": {
                "namespace": "android_app",
                "package_name": package,
                "sha256_cert_fingerprints": list(fingerprints),
            },
        }
        for package, fingerprints in by_package.items()
    ]


def apk_key_hash_origin(app: AndroidApp) -> str:
    """The origin in the client data of a passkey ceremony made in the app:
    ``android:apk-key-hash:`` and the base64url (unpadded) of its certificate's SHA-256."""
    digest = base64.urlsafe_b64encode(app.fingerprint_bytes()).rstrip(b"=").decode("ascii")
    return f"android:apk-key-hash:{digest}"
