"""The guests unit: the guest way in, ``POST /auth/guest`` with GUEST_ACCOUNTS on
(docs/guests.md). A guest's state, its upgrade in place, its merge into another account (which
moves what the units lend as ``movable``), its expiry sweep and its ``guest`` claim are the
accounts' and sign-in's own, whichever way made the guest (the migration's import of Firebase's
anonymous users makes guests too): docs/decisions/0760-the-guest-way-in-is-a-unit.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from application.guests.way_in import Guests
from bootstrap.unit import Built, Kernel, Unit
from infrastructure.guests.settings import GuestSettings
from infrastructure.settings.identity.accounts import AccountSettings

if TYPE_CHECKING:
    from flask import Blueprint

    from infrastructure.settings import Settings


def build(_adapters: None, kernel: Kernel) -> Built:
    own = kernel.settings.group(GuestSettings)
    return Built(services=(Guests(enabled=own.guest_accounts),))


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.guests import routes  # noqa: PLC0415 - loaded with the app

    return (routes.bp,)


def limits(settings: Settings) -> Mapping[tuple[str, str], str]:
    """A guest's is a sign-up: its per-address limit is RATE_LIMIT_REGISTER's (docs/security.md)."""
    return {("POST", "/auth/guest"): settings.group(AccountSettings).rate_limit_register}


UNIT = Unit[None](
    name="guests",
    build=build,
    settings=(GuestSettings,),
    api=api,
    limits=limits,
)
