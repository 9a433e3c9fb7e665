"""The native apps unit: the iOS and Android apps registered with a client (``clients create
--ios-app``, ``--android-app``), the association files generated from them
(``/.well-known/apple-app-site-association``, ``/.well-known/assetlinks.json``), and the app
links of the code flows that sign in only the device that asked (docs/native-apps.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from application.signin.codes.links import APP_LINKS
from application.signin.codes.ways import APP_LINK_PAGES
from bootstrap.unit import Built, Kernel, Unit
from domain.native_apps.paths import APP_SIGN_IN_PATH
from infrastructure.settings.identity.signin import SignInSettings

if TYPE_CHECKING:
    from flask import Blueprint

    from infrastructure.settings import Settings
    from interfaces.web.parts import Pages


# -- the association files


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


def build(_adapters: None, kernel: Kernel) -> Built:
    return links_built(kernel)


def api() -> Sequence[Blueprint]:
    return (*links_api(),)


def limits(settings: Settings) -> Mapping[tuple[str, str], str]:
    return {**links_limits(settings)}


def pages() -> Pages:
    return links_pages()


UNIT = Unit[None](
    name="native_apps",
    build=build,
    api=api,
    limits=limits,
    pages=pages,
    # the page an app's link opens: a code asked with a challenge is sent a link to it
    fills=(APP_LINK_PAGES(APP_SIGN_IN_PATH),),
)
