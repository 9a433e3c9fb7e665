"""The shared signals unit's record: the transmitter's and the receiver's parts together."""

from __future__ import annotations

from bootstrap.shared_signals import UNIT


def test_the_unit_is_named_for_its_folders() -> None:
    assert UNIT.name == "shared_signals"
    assert UNIT.optional
