"""A client's native apps (docs/native-apps.md): its iOS apps by their App ID
(``TEAMID.bundle.id``) and its Android apps by their package name and the SHA-256
fingerprint of their signing certificate, as ``clients create --ios-app``, ``--android-app``
take them; what the association files and the passkeys of the apps are made from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidInput

MAX_APPS = 10  # of each kind, per client (as its redirect URIs)
MAX_BUNDLE_ID_CHARS = 155  # Apple's limit on a bundle ID
MAX_PACKAGE_CHARS = 255
FINGERPRINT_BYTES = 32  # SHA-256

_TEAM_ID = re.compile(r"[A-Z0-9]{10}")
_BUNDLE_SEGMENT = re.compile(r"[A-Za-z0-9-]+")
_PACKAGE_SEGMENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_HEX_PAIRS = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*")
_HEX = re.compile(r"[0-9A-Fa-f]+")

IOS_FIELD, ANDROID_FIELD = "ios_app", "android_app"
INVALID_IOS_APP, INVALID_ANDROID_APP = "invalid_ios_app", "invalid_android_app"


def _ios_refused(message: str) -> InvalidInput:
    return InvalidInput.field(IOS_FIELD, message, INVALID_IOS_APP)


def _android_refused(message: str) -> InvalidInput:
    return InvalidInput.field(ANDROID_FIELD, message, INVALID_ANDROID_APP)


def check_ios_app(app_id: str) -> str:
    """An iOS app's App ID: its team ID (10 upper-case letters or digits), a dot, and its
    bundle ID, reverse-DNS segments of letters, digits and hyphens (two at least)."""
    team, _, bundle = app_id.strip().partition(".")
    if not _TEAM_ID.fullmatch(team):
        raise _ios_refused(
            "An iOS app is TEAMID.bundle.id: its team ID is 10 upper-case letters or digits."
        )
    segments = bundle.split(".")
    if (
        len(bundle) > MAX_BUNDLE_ID_CHARS
        or len(segments) < 2  # reverse DNS: a domain and a name at least
        or not all(_BUNDLE_SEGMENT.fullmatch(segment) for segment in segments)
    ):
        raise _ios_refused(
            "An iOS app is TEAMID.bundle.id: its bundle ID is reverse-DNS segments of "
            "letters, digits and hyphens (com.example.app), up to 155 characters."
        )
    return f"{team}.{bundle}"


def check_package_name(name: str) -> str:
    """An Android package name: two segments at least, each a letter then letters, digits or
    underscores."""
    segments = name.split(".")
    if (
        len(name) > MAX_PACKAGE_CHARS
        or len(segments) < 2  # Android asks for two segments at least
        or not all(_PACKAGE_SEGMENT.fullmatch(segment) for segment in segments)
    ):
        raise _android_refused(
            "An Android package name is two segments or more (com.example.app), each a "
            "letter then letters, digits or underscores."
        )
    return name


def fingerprint(value: str) -> str:
    """A SHA-256 certificate fingerprint, 32 bytes of hex with or without colons between
    them, in any case, in its upper-case colon form (``AB:CD:...``)."""
    text = value.strip()
    plain = text.replace(":", "")
    if not (_HEX_PAIRS.fullmatch(text) or _HEX.fullmatch(text)) or len(plain) != 2 * (
        FINGERPRINT_BYTES
    ):
        raise _android_refused(
            "A fingerprint is the SHA-256 of the app's signing certificate: 32 bytes of hex, "
            "with or without colons (AB:CD:...)."
        )
    upper = plain.upper()
    return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


@dataclass(frozen=True)
class AndroidApp:
    """An Android app: its package name and its signing certificate's SHA-256 fingerprint
    (upper-case colon form)."""

    package_name: str
    sha256_cert_fingerprint: str

    @staticmethod
    def parse(text: str) -> AndroidApp:
        """``package:FINGERPRINT`` (the first colon ends the package name, which has none)."""
        package, colon, found = text.strip().partition(":")
        if not colon:
            raise _android_refused(
                "An Android app is package:SHA256-fingerprint (com.example.app:AB:CD:...)."
            )
        return AndroidApp(check_package_name(package), fingerprint(found))

    def fingerprint_bytes(self) -> bytes:
        return bytes.fromhex(self.sha256_cert_fingerprint.replace(":", ""))


def check_ios_apps(apps: tuple[str, ...]) -> tuple[str, ...]:
    """Up to ``MAX_APPS`` App IDs, each once."""
    if len(apps) > MAX_APPS:
        raise _ios_refused(f"At most {MAX_APPS} iOS apps.")
    return tuple(dict.fromkeys(check_ios_app(app) for app in apps))


def check_android_apps(apps: tuple[AndroidApp | str, ...]) -> tuple[AndroidApp, ...]:
    """Up to ``MAX_APPS`` Android apps (each as ``package:FINGERPRINT`` or parsed), each
    once."""
    if len(apps) > MAX_APPS:
        raise _android_refused(f"At most {MAX_APPS} Android apps.")
    return tuple(
        dict.fromkeys(
            AndroidApp.parse(app)
            if isinstance(app, str)
            else AndroidApp(
                check_package_name(app.package_name), fingerprint(app.sha256_cert_fingerprint)
            )
            for app in apps
        )
    )
