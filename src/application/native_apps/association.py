"""The association files, made from the clients' native apps as this process read them
lately (docs/reference/native-apps.md): what a crawler of Apple's or Google's fetches, and the
origins of the apps' passkeys."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from application.clients.ports import NativeAppClients
from application.remembered import Remembered
from domain.clients.app_ids import AndroidApp
from domain.clients.oauth import OAuthClient
from domain.native_apps.association import (
    apk_key_hash_origin,
    apple_app_site_association,
    asset_links,
)

APPS_TTL = 60.0  # seconds a process reuses the apps it read
MAX_APP_CLIENTS = 1000  # the clients with native apps read, at most


@dataclass(frozen=True)
class RegisteredApps:
    """Every registered client's apps, each once, in the clients' order (oldest first)."""

    ios: tuple[str, ...] = ()
    android: tuple[AndroidApp, ...] = ()

    @staticmethod
    def of(clients: builtins.list[OAuthClient]) -> RegisteredApps:
        return RegisteredApps(
            ios=tuple(dict.fromkeys(app for client in clients for app in client.ios_apps)),
            android=tuple(dict.fromkeys(app for client in clients for app in client.android_apps)),
        )


@dataclass(kw_only=True)
class AssociationFiles:
    """The two association files and the Android apps' passkey origins, made from the apps
    read at most once per ``ttl`` seconds of the process's monotonic clock (``now``): a
    crawler, or every passkey ceremony, costs no read of its own. A client registered or
    deleted shows within ``ttl``."""

    clients: NativeAppClients
    ttl: float = APPS_TTL
    now: Callable[[], float] = time.monotonic
    kept: Remembered[str, RegisteredApps] = field(default_factory=lambda: Remembered(1))

    def apps(self) -> RegisteredApps:
        now = self.now()
        found = self.kept.get("apps", now)
        if found is None:
            found = RegisteredApps.of(self.clients.with_native_apps(MAX_APP_CLIENTS))
            self.kept.put("apps", found, now + self.ttl)
        return found

    def apple(self) -> dict[str, object]:
        """``/.well-known/apple-app-site-association``."""
        return apple_app_site_association(self.apps().ios)

    def android(self) -> list[dict[str, object]]:
        """``/.well-known/assetlinks.json``."""
        return asset_links(self.apps().android)

    def passkey_origins(self) -> tuple[str, ...]:
        """``android:apk-key-hash:...`` of each registered Android app's certificate, once
        each: the origins a passkey made in one of them answers with."""
        return tuple(dict.fromkeys(apk_key_hash_origin(app) for app in self.apps().android))
