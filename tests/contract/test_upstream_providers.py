"""One suite for the upstream providers' repository, against the fake and Firestore."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from application.federation.providers import UpstreamProviders
from domain.errors import Conflict
from domain.federation.upstream import UpstreamProvider
from tests.fakes.federation import FakeUpstreamProviders

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def providers(request: pytest.FixtureRequest) -> UpstreamProviders:
    if request.param == "fake":
        return FakeUpstreamProviders()
    from infrastructure.firestore.federation.upstream_providers import FirestoreUpstreamProviders

    client: Any = request.getfixturevalue("firestore")
    return FirestoreUpstreamProviders(client)


def provider(provider_id: str = "acme", **fields: Any) -> UpstreamProvider:
    made = UpstreamProvider.configure(
        id=provider_id,
        client_id="firegate",
        client_secret="s3cret",
        sealed_secret="sealed",
        now=NOW,
        issuer="https://id.example.com",
        name="Acme",
    )
    return replace(made, **fields)


def test_a_provider_is_kept_as_added(providers: UpstreamProviders) -> None:
    apple = provider("apple", preset="apple", team_id="TEAM", key_id="KEY")
    providers.add(apple)
    assert providers.get("apple") == apple
    assert providers.get("nobody") is None


def test_the_list_is_by_id(providers: UpstreamProviders) -> None:
    for provider_id in ("zeta", "acme", "mid"):
        providers.add(provider(provider_id))
    assert [p.id for p in providers.list_all()] == ["acme", "mid", "zeta"]


def test_an_id_is_added_once(providers: UpstreamProviders) -> None:
    providers.add(provider())
    with pytest.raises(Conflict) as taken:
        providers.add(provider(name="Another"))
    assert taken.value.code == "provider_exists"
    assert providers.get("acme") == provider()


def test_of_thirty_parallel_adds_of_one_id_one_wins(providers: UpstreamProviders) -> None:
    def add(n: int) -> str:
        try:
            providers.add(provider(name=f"Acme {n}"))
        except Conflict as exc:
            return exc.code
        return "added"

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(add, range(30)))
    assert outcomes.count("added") == 1
    assert outcomes.count("provider_exists") == 29


def test_delete_says_whether_there_was_one(providers: UpstreamProviders) -> None:
    providers.add(provider())
    assert providers.delete("acme") is True
    assert providers.delete("acme") is False
    assert providers.get("acme") is None
    assert providers.list_all() == []
