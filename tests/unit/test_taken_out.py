"""What scripts/remove_unit.py tells the tests of a copy without a unit (TAKEN_OUT): nothing
in any other run, and exactly the unit's footprint there."""

from __future__ import annotations

import json

import pytest

from tests.support.taken_out import TakenOut, taken_out

pytestmark = pytest.mark.unit


def test_nothing_is_taken_out_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAKEN_OUT", raising=False)
    assert taken_out() == TakenOut()
    assert not taken_out().holds("src/domain/dogs.py")


def test_the_footprint_is_read_and_holds_only_the_units_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    footprint = {
        "paths": ["src/domain/dogs.py", "tests/unit/dogs"],
        "routes": [["GET", "/dogs"]],
        "variables": ["DOG_API_URL"],
        "collections": ["dogs"],
    }
    monkeypatch.setenv("TAKEN_OUT", json.dumps(footprint))
    found = taken_out()
    assert found.routes == {("GET", "/dogs")}
    assert found.variables == {"DOG_API_URL"} and found.collections == {"dogs"}
    assert found.holds("src/domain/dogs.py") and found.holds("tests/unit/dogs/fakes.py")
    assert not found.holds("src/domain/dogs_api.py") and not found.holds("tests/unit/dogsx/a.py")
