"""``bind``: every unit's service objects, the core's and the optional ones', collected into
``Services`` (docs/decisions/0456-service-objects.md,
docs/decisions/0750-services-reached-by-their-type.md), as each process that serves builds its
app: first what the capabilities lend one another (``loans.py``), then each unit's record
built, in the capability order, on the kernel that offers those loans and what the units
built before it offer (``Built.offers``, docs/decisions/0820-the-core-built-from-its-records.md;
docs/contributing.md, "Wiring"). It names no capability.

No global here is named as a submodule of bootstrap is (``mail``, ``signin``, ...) unless it
is that submodule: importing the submodule would replace it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from application.services import PlatformServices, Services
from bootstrap import platform
from bootstrap.loans import lend
from bootstrap.unit import built
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from bootstrap.adapters import Adapters


def bind(settings: Settings, adapters: Adapters) -> Services:
    """Every unit's use cases: the core's, each on its own adapters, the loans and what the
    units below it offer; then the optional units', on what the core offers them."""
    lent = lend(settings, adapters)
    core, offers = built(adapters.core(), lent.core)
    units, _ = built(adapters.units, lent.kernel.offering(*offers))
    base = lent.core.platform
    return Services.collect(
        *core,
        *units,
        platform=PlatformServices(
            jobs=platform.pushed_jobs(base, settings, run=lent.run),
            ready=base.ready,
            request_counter=base.request_counter,
            metrics=base.metrics,
        ),
    )
