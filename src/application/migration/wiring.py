"""Moving users in and out, bound to its adapters (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from application.accounts.accounts import UserRepository
from application.migration.exporting import export_users
from application.migration.importing import (
    CheckPassword,
    ImportSummary,
    ImportUsers,
    Position,
    check_password,
    import_users,
)
from application.migration.ports import UserMoves
from application.ports import Clock, PasswordHasher


class MovePorts(Protocol):
    @property
    def users(self) -> UserRepository: ...
    @property
    def user_moves(self) -> UserMoves: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def hasher(self) -> PasswordHasher: ...


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


def bind(ports: MovePorts, *, providers: Callable[[], frozenset[str]] = frozenset) -> MoveServices:
    """``providers``: the ids of the upstream providers configured now."""
    return MoveServices(
        import_users=lambda cmd, records, progress, check_address: import_users(
            cmd,
            records,
            moves=ports.user_moves,
            users=ports.users,
            clock=ports.clock,
            providers=providers(),
            check_address=check_address,
            progress=progress,
        ),
        export_users=partial(export_users, moves=ports.user_moves),
        check_password=lambda check, records, check_address: check_password(
            check,
            records,
            hasher=ports.hasher,
            clock=ports.clock,
            providers=providers(),
            check_address=check_address,
        ),
    )
