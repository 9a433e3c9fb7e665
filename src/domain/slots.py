"""A slot: a place a core unit owns and the other units fill (docs/contributing.md, "Units").

The owner declares the slot's key beside what it holds (``CLAIM_SOURCES =
Slot[ClaimSource]("claim sources")`` in signin's claims); a unit's record fills it
(``fills=(CLAIM_SOURCES(TENANT),)``), typed by the key; the owner reads what every running
unit put there (``filled(units, CLAIM_SOURCES)``). The unit record names no slot's type and
no capability: a new slot is one key where its owner lives, no edit of the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, eq=False)
class Slot[T]:
    """A slot's key: compared by identity, named for the errors and the docs."""

    name: str

    def __call__(self, *items: T) -> Filling[T]:
        return Filling(self, items)


@dataclass(frozen=True)
class Filling[T]:
    """What one unit puts in one slot."""

    slot: Slot[T]
    items: tuple[T, ...]


class Fills(Protocol):
    """What fills slots: a unit's record."""

    @property
    def fills(self) -> Iterable[Filling[Any]]: ...


def last_filled[T](units: Iterable[Fills], slot: Slot[T]) -> T:
    """What the last unit that fills ``slot`` puts in it (a ``LookupError`` if none does)."""
    found = filled(units, slot)
    if not found:
        raise LookupError(f"no unit lends {slot.name}")
    return found[-1]


def filled[T](units: Iterable[Fills], slot: Slot[T]) -> tuple[T, ...]:
    """What the units put in ``slot``, in the units' order."""
    return tuple(
        item
        for unit in units
        for filling in unit.fills
        if filling.slot is slot
        for item in filling.items
    )
