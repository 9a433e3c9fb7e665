"""The slots of the driving adapters, which the composition root's ``driving_adapters``
(bootstrap/driving.py) reads: a core unit's own driving adapter (the provider's, SCIM's) and
its part of the pages' configuration (the accounts' challenge widget, sign-in's CSRF key) or
of the JSON API's (migration's replaced routes), filled by its record (docs/contributing.md,
"Units")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from domain.slots import Slot
from infrastructure.settings import Settings
from interfaces.http.app import HttpConfig
from interfaces.shared.shell import Install, Installed
from interfaces.web import PagesConfig


@dataclass(frozen=True)
class DrivingAdapter[Config]:
    """One driving adapter as the app shell installs it (an ``Install``): its package's
    ``install`` and the configuration the settings make for it."""

    install_with: Callable[[Flask, Config], Installed]
    config: Config

    def __call__(self, app: Flask) -> Installed:
        return self.install_with(app, self.config)


# A core unit's own driving adapter as the settings make it (the provider's, SCIM's); None:
# not installed (the provider without keys).
DRIVING_ADAPTERS = Slot[Callable[[Settings], Install | None]]("driving adapters")
# A unit's part of the pages' configuration, set from its settings (the accounts' challenge
# widget): each is handed the configuration the others made, in the units' order.
PAGES_CONFIGURED = Slot[Callable[[Settings, PagesConfig], PagesConfig]]("pages configuration")
# A unit's part of the JSON API's configuration, set from its settings (migration's replaced
# systems' routes), likewise.
API_CONFIGURED = Slot[Callable[[Settings, HttpConfig], HttpConfig]]("API configuration")
