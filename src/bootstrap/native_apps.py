"""The native apps unit: the iOS and Android apps registered with a client (``clients create
--ios-app``, ``--android-app``), the association files generated from them
(``/.well-known/apple-app-site-association``, ``/.well-known/assetlinks.json``), and the app
links of the code flows that sign in only the device that asked (docs/native-apps.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bootstrap.unit import Unit

if TYPE_CHECKING:
    from flask import Blueprint


# -- the association files


# -- the app links


# -- the unit


def api() -> Sequence[Blueprint]:
    return ()


UNIT = Unit[None](
    name="native_apps",
    api=api,
)
