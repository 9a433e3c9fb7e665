"""The service objects, one field per capability, each a record of that capability's groups of
use cases (``application/<capability>/services.py``), each built once with its ports: what a
driving adapter (the JSON API, the pages, the command line) calls, as
``services().orgs.roles.put(cmd)``. ``bind`` (``bootstrap/binding.py``) builds the records
(docs/decisions/0456-service-objects.md, docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from application.ports import NO_METRICS, Metrics, RequestCounter

if TYPE_CHECKING:
    from application.accounts.services import AccountServices
    from application.clients.services import ClientServices
    from application.events.services import EventServices
    from application.federation.services import FederationServices
    from application.hooks.services import HookServices
    from application.jobs import PushedJobs
    from application.mail.services import MailServices
    from application.migration.services import MigrationServices
    from application.orgs.services import OrgServices
    from application.provider.services import ProviderServices
    from application.scim.services import ScimServices
    from application.signin.services import SigninServices
    from application.sso.services import SsoServices


@dataclass(frozen=True, kw_only=True, slots=True)
class PlatformServices:
    """What the platform offers the driving adapters beside the capabilities."""

    jobs: PushedJobs  # the push endpoint of the background jobs
    ready: Callable[[], bool]  # the readiness probe: Firestore answers
    request_counter: RequestCounter  # behind the per-address request limits
    metrics: Metrics = NO_METRICS  # the adapters' metrics (NO_METRICS when off)


class UnitServices:
    """The units' use-case objects, each reached by its type: ``services().units.of(Tasks)``
    is the ``Tasks`` the tasks unit built, typed as such (docs/contributing.md, "Units")."""

    def __init__(self, found: Iterable[object] = ()) -> None:
        self._by_type: dict[type, object] = {type(service): service for service in found}

    def of[T](self, kind: type[T]) -> T:
        found = self._by_type.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"no unit of this service offers {kind.__name__}")
        return found


@dataclass(frozen=True, kw_only=True, slots=True)
class Services:
    """One field per capability, in the capabilities' order from the lowest."""

    accounts: AccountServices
    hooks: HookServices
    signin: SigninServices
    federation: FederationServices
    mail: MailServices
    events: EventServices
    orgs: OrgServices
    clients: ClientServices
    sso: SsoServices
    scim: ScimServices
    provider: ProviderServices
    migration: MigrationServices
    platform: PlatformServices
    units: UnitServices = field(default_factory=UnitServices)  # bootstrap/units.py
