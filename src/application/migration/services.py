"""Moving users in and out as the command line calls it, bound by ``bootstrap/migration.py``
(docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from application.migration.importing import (
    CheckPassword,
    ImportSummary,
    ImportUsers,
    Position,
)


@dataclass(frozen=True)
class MoveServices:
    # The command, the file's records, a progress report, the address check of a sign-up.
    import_users: Callable[
        [
            ImportUsers,
            Iterable[tuple[Position, Any]],
            Callable[[ImportSummary], None],
            Callable[[str], None],
        ],
        ImportSummary,
    ]
    export_users: Callable[[], Iterator[dict[str, Any]]]
    # Before an import: the check, the file's records, the address check of a sign-up.
    check_password: Callable[
        [CheckPassword, Iterable[tuple[Position, Any]], Callable[[str], None]], None
    ]
