"""The native apps unit: the iOS and Android apps registered with a client (``clients create
--ios-app``, ``--android-app``), the association files generated from them
(``/.well-known/apple-app-site-association``, ``/.well-known/assetlinks.json``), and the
app links of the code flows that sign in only the device that asked (docs/native-apps.md).

The association files: the two well-known files made from every registered client's apps
(read through the clients' repository's query of the clients with native apps, once per
``APPS_TTL`` per process), and the Android apps' passkey origins
(``android:apk-key-hash:...``), accepted by the passkey ceremonies (``APP_PASSKEY_ORIGINS``)
and never listed in /.well-known/webauthn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from application.clients.ports import NATIVE_APP_CLIENTS
from application.native_apps.association import AssociationFiles, RegisteredApps
from application.remembered import Remembered
from application.signin.factors.passkeys import APP_PASSKEY_ORIGINS
from bootstrap.unit import Built, Kernel, Lent, Unit

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings


# -- the association files


@dataclass(frozen=True, kw_only=True)
class AssociationAdapters:
    """``apps_kept``: the registered apps as this process read them lately (one per
    process, shared by the files and the passkey ceremonies)."""

    apps_kept: Remembered[str, RegisteredApps] = field(default_factory=lambda: Remembered(1))


def association_files(own: NativeAppsAdapters, kernel: Kernel) -> AssociationFiles:
    """The files, on the clients with native apps as the clients offer them."""
    return AssociationFiles(
        clients=kernel.offered(NATIVE_APP_CLIENTS), kept=own.association.apps_kept
    )


def association_api() -> Sequence[Blueprint]:
    from interfaces.http.routes.native_apps import (  # noqa: PLC0415 - loaded with the app
        association,
    )

    return (association.bp,)


# -- the app links


# -- the unit


@dataclass(frozen=True, kw_only=True)
class NativeAppsAdapters:
    """The unit's adapters: ``association``, the association files'."""

    association: AssociationAdapters = field(default_factory=AssociationAdapters)


def adapters(_settings: Settings, _client: Client) -> NativeAppsAdapters:
    return NativeAppsAdapters()


def lends(own: NativeAppsAdapters, kernel: Kernel) -> Lent:
    """The Android apps' origins, whose passkey answers count (``APP_PASSKEY_ORIGINS``)."""
    return Lent(fills=(APP_PASSKEY_ORIGINS(association_files(own, kernel).passkey_origins),))


def build(own: NativeAppsAdapters, kernel: Kernel) -> Built:
    return Built(services=(association_files(own, kernel),))


def api() -> Sequence[Blueprint]:
    return (*association_api(),)


UNIT = Unit[NativeAppsAdapters](
    name="native_apps",
    adapters=adapters,
    lends=lends,
    build=build,
    api=api,
)
