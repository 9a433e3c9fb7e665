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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from application.clients.ports import NATIVE_APP_CLIENTS
from application.native_apps.association import AssociationFiles, RegisteredApps
from application.remembered import Remembered
from application.signin.codes.links import APP_LINKS
from application.signin.codes.ways import APP_LINK_PAGES
from application.signin.factors.passkeys import APP_PASSKEY_ORIGINS
from bootstrap.unit import Built, Kernel, Lent, Unit
from domain.native_apps.paths import APP_SIGN_IN_PATH
from infrastructure.settings.identity.signin import SignInSettings

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings
    from interfaces.web.parts import Pages


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


def links_built(kernel: Kernel) -> Built:
    """The links of every channel's code flows that an app asked for (``APP_LINKS``: the
    mail's, and each unit's with a channel of its own), redeemed at one route
    (docs/reference/app-links.md)."""
    return Built(services=(kernel.offered(APP_LINKS),))


def links_api() -> Sequence[Blueprint]:
    from interfaces.http.routes.native_apps import app_links  # noqa: PLC0415 - loaded with the app

    return (app_links.bp,)


def links_limits(settings: Settings) -> Mapping[tuple[str, str], str]:
    """A link's redemption is limited per client as a login is (docs/security.md): its wrong
    verifiers count nowhere else (docs/decisions/0924-a-wrong-verifier-voids-nothing.md)."""
    return {("POST", "/auth/email-code/redeem"): settings.group(SignInSettings).rate_limit_login}


def links_pages() -> Pages:
    """The page of an app's link opened in a browser: the code, nothing signed in."""
    from interfaces.web.native_apps import app_links  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import Pages  # noqa: PLC0415 - loaded with the app

    return Pages(messages=app_links.MESSAGES)


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
    links = links_built(kernel)
    return Built(services=(association_files(own, kernel), *links.services))


def api() -> Sequence[Blueprint]:
    return (*association_api(), *links_api())


def limits(settings: Settings) -> Mapping[tuple[str, str], str]:
    return {**links_limits(settings)}


def pages() -> Pages:
    return links_pages()


UNIT = Unit[NativeAppsAdapters](
    name="native_apps",
    adapters=adapters,
    lends=lends,
    build=build,
    api=api,
    limits=limits,
    pages=pages,
    # the page an app's link opens: a code asked with a challenge is sent a link to it
    fills=(APP_LINK_PAGES(APP_SIGN_IN_PATH),),
)
