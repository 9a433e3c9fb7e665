"""google-cloud-firestore and google.api_core's exceptions, imported on first use.

The adapters name both as modules (``firestore.Transaction``, ``exceptions.AlreadyExists``);
here each is a stand-in that imports the real module when one of its names is first looked
up. Building the adapters and serving the REST reads and commits of the first requests
looks up none (a name in an ``except`` clause is looked up only when an exception reaches
it). So gunicorn's master imports the adapters without the client library, which must be
each worker's own (its gRPC must not be initialised before the fork), and a worker imports
it, with gRPC and protobuf (about 0.4 s of CPU), when it first needs it
(docs/decisions/0453-one-import-in-the-master.md). mypy sees the real modules.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

__all__ = ["exceptions", "firestore", "loaded"]


class _OnFirstUse:
    """Stands in for the module ``name`` until one of its attributes is wanted; then imports
    it (once: after that, the import finds it in ``sys.modules``)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<{self._name}, imported on first use>"


if TYPE_CHECKING:
    from google.api_core import exceptions
    from google.cloud import firestore
else:
    firestore = _OnFirstUse("google.cloud.firestore")
    exceptions = _OnFirstUse("google.api_core.exceptions")


def loaded(module: str) -> bool:
    """Whether ``module`` has been imported in this process (by anyone): an exception of a
    library not yet imported cannot have been raised."""
    return module in sys.modules
