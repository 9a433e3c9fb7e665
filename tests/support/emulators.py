"""scripts/emulators.py, loaded as a module (scripts/ is not a package)."""

from __future__ import annotations

from types import ModuleType

from tests.support.scripts import load_script


def load_emulators_module() -> ModuleType:
    """scripts/emulators.py as a module (scripts/ is not a package)."""
    return load_script("emulators")
