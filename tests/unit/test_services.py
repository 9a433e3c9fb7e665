"""``Services``: every capability's record and unit's use-case objects, each reached by its
type (docs/decisions/0750-services-reached-by-their-type.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from application.accounts.services import AccountServices
from application.orgs.services import OrgServices
from application.services import Services
from bootstrap.unit import Built, Kernel, Placed, Unit
from bootstrap.units import CORE_UNITS
from tests.support.app import World

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Ones:
    name: str


class MoreOnes(Ones):
    pass


def _builds_ones(_adapters: None, _kernel: Kernel) -> Built:
    return Built(services=(Ones("the unit's"),))


ONES = Unit[None](name="ones", build=_builds_ones)


class OnesWorld(World):
    """An app with a unit of the test's own, which builds a ``Ones``."""

    def own_units(self) -> Sequence[Placed[Any]]:
        return (Placed(ONES, None),)


@pytest.fixture
def bound() -> Services:
    return OnesWorld().services


def test_bind_collects_every_capabilitys_record_and_every_units_objects(bound: Services) -> None:
    kinds = {kind.__module__ for kind in bound.records}
    assert {f"application.{name}.services" for name in CORE_UNITS} <= kinds
    assert isinstance(bound.of(OrgServices), OrgServices)
    assert bound.of(Ones) == Ones("the unit's")  # a unit's, as the capabilities' are


def test_a_type_nothing_offers_is_told(bound: Services) -> None:
    with pytest.raises(LookupError, match="MoreOnes"):
        bound.of(MoreOnes)


def test_a_type_is_found_as_it_is_not_by_its_base() -> None:
    found = Services.collect(MoreOnes("more"), platform=World().services.platform)
    assert found.of(MoreOnes) == MoreOnes("more")
    with pytest.raises(LookupError):
        found.of(Ones)


def test_two_records_of_one_type_are_refused(bound: Services) -> None:
    with pytest.raises(ValueError, match="two service records of one type: Ones"):
        Services.collect(Ones("a"), Ones("b"), platform=bound.platform)


def test_a_test_swaps_a_record_of_a_type_the_services_hold(bound: Services) -> None:
    accounts = bound.of(AccountServices)
    swapped = bound.with_records(Ones("new"))
    assert swapped.of(Ones) == Ones("new") and swapped.of(AccountServices) is accounts
    assert bound.of(Ones) == Ones("the unit's")
    with pytest.raises(LookupError):
        swapped.with_records(MoreOnes("added, not swapped"))
