"""The composition root is a table of contents: each capability's module in ``src/bootstrap``
builds its own record of the services (its ``wire``, called by its unit's ``build``), what
the capabilities lend one another is made first (``loans.py``), and ``bind`` folds the units'
records in the capability order, naming none (docs/contributing.md, "Wiring")."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from scripts.capability_order import capability_of, capability_ranks

from bootstrap.unit import Built, Kernel, Lent, Placed, Unit, lent_early, lent_late
from bootstrap.units import CORE_UNITS, core_units
from domain.slots import Slot
from tests.fakes.kernel import FakeJobQueue
from tests.support.app import World, fake_adapters
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
BOOTSTRAP = Path(__file__).resolve().parents[2] / "src" / "bootstrap"
CAPABILITIES = list(CORE_UNITS)


def _function(path: Path, name: str) -> ast.FunctionDef:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


def test_every_capability_wires_its_own_record() -> None:
    for capability in CAPABILITIES:
        wire = _function(BOOTSTRAP / f"{capability}.py", "wire")
        returned = ast.unparse(wire.returns) if wire.returns else ""
        assert returned.endswith("Services"), f"bootstrap/{capability}.py: wire -> {returned}"


def test_each_core_units_build_is_its_modules_and_calls_its_wire() -> None:
    for unit in core_units():
        module = import_module(f"bootstrap.{unit.name}")
        assert unit.build is module.built, unit.name
        calls = [
            ast.unparse(node.func)
            for node in ast.walk(_function(BOOTSTRAP / f"{unit.name}.py", "built"))
            if isinstance(node, ast.Call)
        ]
        assert calls.count("wire") == 1, f"bootstrap/{unit.name}.py: built calls {calls}"


def test_the_core_units_are_built_in_the_capability_order() -> None:
    ranks = capability_ranks()
    assert [ranks[name] for name in CORE_UNITS] == sorted(ranks[name] for name in CORE_UNITS)


@pytest.mark.parametrize("module", ["binding.py", "adapters.py", "loans.py"])
def test_the_kernels_wiring_names_no_capability(module: str) -> None:
    """``bind``, ``build_adapters`` and ``lend`` fold the units' records: none names a
    capability."""
    tree = ast.parse((BOOTSTRAP / module).read_text(encoding="utf-8"))
    ranks = capability_ranks()
    imported = [
        name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
        for name in (node.module, *(f"{node.module}.{alias.name}" for alias in node.names))
    ]
    named = [name for name in imported if capability_of(name, ranks) is not None]
    assert not named, named


_SAID = Slot[str]("what the first unit says")


@dataclass(frozen=True)
class Said:
    words: str


@dataclass(frozen=True)
class Heard:
    words: str


def _saying(_adapters: None, _kernel: Kernel) -> Built:
    return Built(services=(Said("hello"),), offers=(_SAID("hello"),))


def _hearing(_adapters: None, kernel: Kernel) -> Built:
    return Built(services=(Heard(kernel.offered(_SAID)),))


SAYING = Unit[None](name="saying", build=_saying)
HEARING = Unit[None](name="hearing", build=_hearing)


class UnitsWorld(World):
    """An app with units of the test's own, in the order given."""

    def __init__(self, *units: Unit[None]) -> None:
        self._units = units
        super().__init__()

    def own_units(self) -> Sequence[Placed[Any]]:
        return tuple(Placed(unit, None) for unit in self._units)


def test_each_unit_is_built_on_what_the_units_before_it_offer() -> None:
    assert UnitsWorld(SAYING, HEARING).services.of(Heard) == Heard("hello")
    with pytest.raises(LookupError, match="what the first unit says"):
        UnitsWorld(HEARING, SAYING)


_HEARD = Slot[str]("what a unit heard early")


def _says_early(_adapters: None, _kernel: Kernel) -> Lent:
    return Lent(fills=(_HEARD("a fill"),), offers=(_SAID("an offer"),))


def _hears_early(_adapters: None, kernel: Kernel) -> Lent:
    return Lent(fills=(_HEARD(f"{kernel.offered(_SAID)} after {kernel.filled(_HEARD)}"),))


@pytest.mark.parametrize("stage", ["early", "late"])
def test_each_unit_lends_in_turn_on_what_the_units_before_it_lent(stage: str) -> None:
    if stage == "early":
        fold = lent_early
        saying = Unit[None](name="saying", lends_early=_says_early)
        hearing = Unit[None](name="hearing", lends_early=_hears_early)
    else:
        fold = lent_late
        saying = Unit[None](name="saying", lends_late=_says_early)
        hearing = Unit[None](name="hearing", lends_late=_hears_early)
    settings = make_settings()
    platform = fake_adapters(settings).platform
    kernel = Kernel(settings=settings, platform=platform, queue=FakeJobQueue())
    early, made = fold((Placed(saying, None), Placed(hearing, None)), kernel)
    assert made.filled(_HEARD) == ("a fill", "an offer after ('a fill',)")
    assert [lent.fills for lent in early] == [
        (_HEARD("a fill"),),
        (_HEARD("an offer after ('a fill',)"),),
    ]
    assert made.offered(_SAID) == "an offer"
    with pytest.raises(LookupError, match="what the first unit says"):
        fold((Placed(hearing, None), Placed(saying, None)), kernel)


def test_bind_and_the_table_of_contents_stay_short() -> None:
    bind = _function(BOOTSTRAP / "binding.py", "bind")
    assert bind.end_lineno is not None and bind.end_lineno - bind.lineno + 1 < 60
    contents = (BOOTSTRAP / "__init__.py").read_text(encoding="utf-8").splitlines()
    assert len(contents) <= 150
