"""A unit of the tests' own: what a person keeps, in two kinds, lent to the core's slots as
a unit's data is (deleted with the account, given to the account a guest is merged into),
and a job of its own, lent as a unit's job handler is.
The core's tests of those slots use it, so that they hold whichever units the service has
(docs/contributing.md, "Units"); each unit's tests check its own data in the same slots."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from application.accounts.accounts import OWNED_DATA
from application.accounts.guest.merges import MOVABLE_DATA
from application.jobs import JOBS, RetryJob
from application.ports import Job
from bootstrap import Adapters
from bootstrap.unit import Built, Kernel, Lent, Placed, Unit
from domain.ids import new_id
from tests.support.app import World


class FakeKept:
    """One kind of keepsake: an owner per id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owners: dict[str, str] = {}

    def add(self, owner_id: str) -> str:
        kept = new_id()
        with self.lock:
            self.owners[kept] = owner_id
        return kept

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            for kept in [k for k, owner in self.owners.items() if owner == user_id]:
                del self.owners[kept]

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        with self.lock:
            for kept in [k for k, owner in self.owners.items() if owner == from_id]:
                self.owners[kept] = to_id


KEEPSAKE_JOB = "keepsake_job"


class FakeKeptJob:
    """The unit's job (``KEEPSAKE_JOB``): each run noted by its subject and whether it was the
    last attempt; while ``failing``, it asks for a retry, and gives up on its last attempt."""

    def __init__(self) -> None:
        self.failing = False
        self.runs: list[tuple[str, bool]] = []
        self.gave_up: list[str] = []

    def run(self, job: Job, final: bool) -> None:
        self.runs.append((job.subject, final))
        if not self.failing:
            return
        if not final:
            raise RetryJob("the keepsake job is failing")
        self.gave_up.append(job.subject)


@dataclass(frozen=True)
class Keepsakes:
    """The unit's adapters: two kinds, so that a move cut short between them can be shown,
    and its job."""

    first: FakeKept = field(default_factory=FakeKept)
    second: FakeKept = field(default_factory=FakeKept)
    job: FakeKeptJob = field(default_factory=FakeKeptJob)


def _no_production_adapters(_settings: Any, _client: Any) -> NoReturn:
    raise RuntimeError("the keepsakes unit is the tests' own: it has fakes only")


def _lends(kept: Keepsakes, _kernel: Kernel) -> Lent:
    return Lent(
        fills=(
            OWNED_DATA(kept.first, kept.second),
            MOVABLE_DATA(kept.first, kept.second),
            JOBS((KEEPSAKE_JOB, kept.job.run)),
        )
    )


def _builds_nothing(_kept: Keepsakes, _kernel: Kernel) -> Built:
    return Built()


KEEPSAKES = Unit[Keepsakes](
    name="keepsakes", adapters=_no_production_adapters, lends=_lends, build=_builds_nothing
)


def with_keepsakes(adapters: Adapters, kept: Keepsakes) -> Adapters:
    """``adapters`` with the keepsakes unit, on ``kept``, beside the service's own units."""
    return replace(adapters, units=(*adapters.units, Placed(KEEPSAKES, kept)))


class KeepsakesWorld(World):
    """A ``World`` whose app has the keepsakes unit, on ``kept``."""

    def __init__(self, **settings: object) -> None:
        self.kept = Keepsakes()
        super().__init__(**settings)

    def own_units(self) -> Sequence[Placed[Any]]:
        return (Placed(KEEPSAKES, self.kept),)
