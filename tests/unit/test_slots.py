"""A slot's key: what the units put in it, read by its owner in the units' order, and nothing
of another slot (src/domain/slots.py; docs/contributing.md, "Units")."""

from __future__ import annotations

import pytest

from bootstrap.units import every_unit
from domain.accounts.parts import USER_PARTS
from domain.hooks.kinds import HOOK_KINDS
from domain.signin.claims.sources import CLAIM_SOURCES
from domain.slots import Filling, Slot, filled, last_filled
from tests.support.settings import make_settings

GREETINGS = Slot[str]("greetings")
FAREWELLS = Slot[str]("farewells")


class _Record:
    def __init__(self, *fills: Filling[str]) -> None:
        self.fills = fills


def test_the_owner_reads_what_every_unit_put_in_its_slot_in_the_units_order() -> None:
    units = [
        _Record(GREETINGS("hello", "hi"), FAREWELLS("bye")),
        _Record(),
        _Record(FAREWELLS("ciao"), GREETINGS("hola")),
    ]

    assert filled(units, GREETINGS) == ("hello", "hi", "hola")
    assert filled(units, FAREWELLS) == ("bye", "ciao")


def test_the_last_filling_is_what_the_last_unit_lent_and_none_is_told() -> None:
    units = [_Record(GREETINGS("hello")), _Record(FAREWELLS("bye")), _Record(GREETINGS("hola"))]

    assert last_filled(units, GREETINGS) == "hola"
    with pytest.raises(LookupError, match="no unit lends farewells"):
        last_filled([_Record(GREETINGS("hello"))], FAREWELLS)


def test_two_slots_of_one_name_are_two_slots() -> None:
    other = Slot[str]("greetings")

    assert filled([_Record(GREETINGS("hello"))], other) == ()


def test_the_core_slots_hold_what_the_running_units_lend() -> None:
    units = every_unit(make_settings())

    kinds = {kind.name for kind in filled(units, HOOK_KINDS)}
    assert {"before_sign_up", "before_token", "send_mail", "credentials_exchange"} <= kinds
    assert "acr" in {source.name for source in filled(units, CLAIM_SOURCES)}
    assert [part.__name__ for part in filled(units, USER_PARTS)][-1] == "Legacy"
