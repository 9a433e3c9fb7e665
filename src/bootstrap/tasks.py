"""The tasks unit: a person's own to-do list (docs/reference/tasks.md), the template the other
resource units follow (docs/contributing.md, "Units")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from application.accounts.accounts import OWNED_DATA
from application.accounts.guest.merges import MOVABLE_DATA
from application.tasks import TaskRepository, Tasks
from bootstrap.unit import Built, Kernel, Lent, Unit
from infrastructure.firestore.tasks.repository import FirestoreTaskRepository

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings


def adapters(_settings: Settings, client: Client) -> TaskRepository:
    return FirestoreTaskRepository(client)


def lends(tasks: TaskRepository, _kernel: Kernel) -> Lent:
    """A person's tasks go with their account, and to the account a guest is merged into."""
    return Lent(fills=(OWNED_DATA(tasks), MOVABLE_DATA(tasks)))


def build(tasks: TaskRepository, kernel: Kernel) -> Built:
    return Built(services=(Tasks(tasks=tasks, clock=kernel.platform.clock),))


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.tasks import routes  # noqa: PLC0415 - loaded with the app

    return (routes.bp,)


def compat_api() -> Sequence[Blueprint]:
    """The replaced FastAPI tasks API's sign-up and login (docs/migrating.md)."""
    from interfaces.http.routes.tasks import compat  # noqa: PLC0415 - loaded with the app

    return (compat.bp,)


UNIT = Unit[TaskRepository](
    name="tasks",
    adapters=adapters,
    lends=lends,
    build=build,
    api=api,
    compat_api=compat_api,
)
