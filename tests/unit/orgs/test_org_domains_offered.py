"""The orgs' verified domains as the kernel offers them to the units (``ORG_DOMAINS``,
application/orgs/ports.py): a unit of the tests' own reads them with
``kernel.offered(ORG_DOMAINS)`` as it is built, as an optional unit does (docs/contributing.md,
"Units"), and sees what an org verified through the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import pytest

from application.orgs.ports import ORG_DOMAINS, OrgDomainReads
from bootstrap.unit import Built, Kernel, Placed, Unit
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.sso_world import verified_org

pytestmark = pytest.mark.unit


@dataclass
class Reader:
    """The unit's adapters: what it was offered, once built."""

    read: list[OrgDomainReads] = field(default_factory=list)


def _no_production_adapters(_settings: Any, _client: Any) -> NoReturn:
    raise RuntimeError("the domain reader is the tests' own: it has fakes only")


def _build(reader: Reader, kernel: Kernel) -> Built:
    reader.read.append(kernel.offered(ORG_DOMAINS))
    return Built()


DOMAIN_READER = Unit[Reader](name="domain_reader", adapters=_no_production_adapters, build=_build)


class ReaderWorld(World):
    """A ``World`` whose app has the domain reader unit."""

    def __init__(self) -> None:
        self.reader = Reader()
        super().__init__()

    def own_units(self) -> Sequence[Placed[Any]]:
        return (Placed(DOMAIN_READER, self.reader),)

    @property
    def domains(self) -> OrgDomainReads:
        assert self.reader.read, "the unit was not built"
        return self.reader.read[-1]


def test_a_unit_reads_the_domains_an_org_verified() -> None:
    world = ReaderWorld()
    org_id, owner = verified_org(world, "corp", "corp.example")
    added = world.client.post("/orgs/corp/domains", json={"domain": "b.example"}, headers=owner)
    assert added.status_code == 201, added.get_json()  # pending: not one the unit reads
    assert world.domains.verified(org_id) == ("corp.example",)
    assert world.domains.holder("CORP.example") == org_id
    assert world.domains.holder("b.example") is None


def test_a_unit_reads_no_domain_of_an_org_that_verified_none() -> None:
    world = ReaderWorld()
    register(world.client, "bob")
    made = world.client.post(
        "/orgs", json={"slug": "bare", "name": "Bare"}, headers=bearer(login(world.client, "bob"))
    )
    assert made.status_code == 201, made.get_json()
    assert world.domains.verified(made.get_json()["id"]) == ()
    assert world.domains.holder("corp.example") is None
