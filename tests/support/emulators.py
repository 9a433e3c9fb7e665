"""scripts/emulators.py, loaded as a module (scripts/ is not a package)."""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

from tests.support.scripts import load_script


def load_emulators_module() -> ModuleType:
    """scripts/emulators.py as a module (scripts/ is not a package)."""
    return load_script("emulators")


def emptied(emulators: Any) -> None:
    """Empty Firestore, Auth, Storage and the mail of ``emulators`` (an ``EmulatorSet``) once
    the jobs the previous test's apps queued in this process are done: a mail it caused is
    never the next test's."""
    from infrastructure.jobs import inprocess

    if not inprocess.settle(10):
        warnings.warn("the previous test's jobs were still running after 10 s", stacklevel=1)
    emulators.wipe()
