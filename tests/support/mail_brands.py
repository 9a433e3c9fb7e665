"""A unit of the tests' own that fills mail's ``MAIL_BRANDS``: an org's brand, by its id, from
two answerers asked in turn, so that the core's tests of the slot hold whichever units the
service has (docs/contributing.md, "Units"; tests/support/keepsakes.py is the model)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from application.mail.sending import MAIL_BRANDS
from application.ports import MailBrand
from bootstrap import Adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from bootstrap.unit import Built, Kernel, Lent, Placed, Unit
from tests.fakes.hooks import FakeHookClient
from tests.support.app import World


@dataclass
class Brands:
    """The unit's adapters: two answerers, each an org id's brand (absent: None), asked in
    this order; the org ids the first was asked about."""

    first: dict[str, MailBrand | None] = field(default_factory=dict)
    second: dict[str, MailBrand | None] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def of_first(self, org_id: str) -> MailBrand | None:
        self.asked.append(org_id)
        return self.first.get(org_id)

    def of_second(self, org_id: str) -> MailBrand | None:
        return self.second.get(org_id)


def _no_production_adapters(_settings: Any, _client: Any) -> NoReturn:
    raise RuntimeError("the brands unit is the tests' own: it has fakes only")


def _lends(brands: Brands, _kernel: Kernel) -> Lent:
    return Lent(fills=(MAIL_BRANDS(brands.of_first, brands.of_second),))


BRANDS = Unit[Brands](
    name="mail_brands",
    adapters=_no_production_adapters,
    lends=_lends,
    build=lambda _brands, _kernel: Built(),
)


def with_brands(adapters: Adapters, brands: Brands) -> Adapters:
    """``adapters`` with the brands unit, on ``brands``, beside the service's own units."""
    return replace(adapters, units=(*adapters.units, Placed(BRANDS, brands)))


def proven(world: World, name: str) -> None:
    """The address of the account ``name`` proven (a mail about an org goes to proven ones)."""
    users = world.adapters.of(AccountsAdapters).users
    found = users.find_by_login(name)
    assert found is not None
    users.update(found.id, lambda user: user.with_email_verified(world.clock.now()))


def hook_payloads(world: World) -> list[dict[str, Any]]:
    """The send_mail hook set (it accepts every mail): what it was handed so far."""
    receiver = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(receiver, FakeHookClient)
    return [json.loads(body) for _, body, _, _, _ in receiver.asked]
