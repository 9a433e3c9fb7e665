"""The agents unit's fakes: what fetches a client's metadata document, answering what a test
sets, and the host resolver its addresses are checked with (its org policy is kept on the
org, through the orgs' repository the kernel hands it;
docs/decisions/0770-what-the-agents-unit-is.md)."""

from __future__ import annotations

from bootstrap.agents import AgentsAdapters
from infrastructure.settings import Settings
from tests.fakes.events import FakePinnedClient
from tests.fakes.kernel import FakeHostResolver
from tests.support.app import World, unit_adapters


def adapters(_settings: Settings) -> AgentsAdapters:
    """The unit's adapters on fakes (tests/support/app.py makes every unit's)."""
    return AgentsAdapters(documents_getter=FakePinnedClient(), host_resolver=FakeHostResolver())


def documents_getter(world: World) -> FakePinnedClient:
    """What fetches the metadata documents in an app on the fakes: the answers a test sets."""
    own = unit_adapters(world.adapters, "agents")
    assert isinstance(own, AgentsAdapters) and isinstance(own.documents_getter, FakePinnedClient)
    return own.documents_getter
