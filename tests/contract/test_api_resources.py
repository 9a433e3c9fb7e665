"""One suite for the ApiResources port, run against the fake and against Firestore
(docs/reference/oauth.md, "API resources")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from application.clients.ports import ApiResources
from domain.clients.api_resources import MAX_API_RESOURCES, ApiResource, ApiScope
from domain.errors import Conflict
from tests.fakes.clients import FakeApiResources

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
TASKS = "https://tasks.example.com/"


@pytest.fixture(params=["fake", "firestore"])
def resources(request: pytest.FixtureRequest) -> ApiResources:
    if request.param == "fake":
        return FakeApiResources()
    from infrastructure.firestore.clients.api_resources import FirestoreApiResources

    return FirestoreApiResources(request.getfixturevalue("firestore"))


def api(uri: str = TASKS, at: datetime = NOW) -> ApiResource:
    scopes = (
        ApiScope.new("tasks:read", "Read your tasks", "Leer tus tareas"),
        ApiScope.new("tasks:write", "Change your tasks"),
    )
    return ApiResource.new(uri, scopes, at)


def test_a_resource_is_kept_with_its_scopes_and_listed_oldest_first(
    resources: ApiResources,
) -> None:
    later = api("https://notes.example.com/mcp", NOW + timedelta(minutes=1))
    resources.add(later)
    resources.add(api())
    assert resources.list(10) == [api(), later]
    assert resources.list(1) == [api()]
    [first, _] = resources.list(10)
    assert first.scope("tasks:read") == ApiScope("tasks:read", "Read your tasks", "Leer tus tareas")
    assert first.scope("tasks:write") == ApiScope("tasks:write", "Change your tasks", None)


def test_a_resource_keeps_the_issuer_of_its_authorization_server(
    resources: ApiResources,
) -> None:
    scopes = (ApiScope.new("chat:read", "Read the chat"),)
    chat = ApiResource.new("https://api.chat.example/", scopes, NOW, issuer="https://as.example/")
    resources.add(chat)
    resources.add(api())
    assert sorted(resources.list(10), key=lambda found: found.uri) == [chat, api()]
    assert chat.audience("https://firegate.example") == "https://as.example/"
    assert api().audience("https://firegate.example") == "https://firegate.example"


def test_a_resource_keeps_its_min_acr(resources: ApiResources) -> None:
    """docs/reference/acr.md: the weakest sign-in a person's token for it needs."""
    scopes = (ApiScope.new("pay", "Pay"),)
    pay = ApiResource.new("https://pay.example/", scopes, NOW, min_acr="urn:firegate:acr:mfa")
    resources.add(pay)
    resources.add(api())
    found = {resource.uri: resource for resource in resources.list(10)}
    assert found["https://pay.example/"] == pay and found[TASKS].min_acr is None
    assert found["https://pay.example/"].acr_refusal("urn:firegate:acr:pwd") is not None
    assert found["https://pay.example/"].acr_refusal("urn:firegate:acr:phr") is None


def test_a_uri_is_registered_once(resources: ApiResources) -> None:
    resources.add(api())
    with pytest.raises(Conflict) as refused:
        resources.add(api(at=NOW + timedelta(seconds=1)))
    assert refused.value.code == "resource_exists"
    assert resources.list(10) == [api()]


def test_of_thirty_registrations_of_one_uri_at_once_one_lands(resources: ApiResources) -> None:
    def register(i: int) -> str:
        try:
            resources.add(api(at=NOW + timedelta(seconds=i)))
        except Conflict as exc:
            return exc.code
        return "added"

    with ThreadPoolExecutor(30) as pool:
        outcomes = list(pool.map(register, range(30)))
    assert sorted(set(outcomes)) == ["added", "resource_exists"]
    assert outcomes.count("added") == 1
    assert len(resources.list(10)) == 1


def test_a_resource_is_removed_once(resources: ApiResources) -> None:
    resources.add(api())
    assert resources.delete(TASKS) is True
    assert resources.delete(TASKS) is False
    assert resources.list(10) == []
    assert resources.delete("https://never.example.com/") is False


def many(resources: ApiResources, count: int) -> None:
    for i in range(count):
        resources.add(api(f"https://api{i}.example.com/", NOW + timedelta(seconds=i)))


def test_no_more_than_the_most_are_registered_and_a_removal_makes_room(
    resources: ApiResources,
) -> None:
    many(resources, MAX_API_RESOURCES)
    with pytest.raises(Conflict) as refused:
        resources.add(api())
    assert refused.value.code == "too_many_resources"
    assert resources.delete("https://api0.example.com/") is True
    resources.add(api())
    assert len(resources.list(MAX_API_RESOURCES + 10)) == MAX_API_RESOURCES


def test_of_thirty_registrations_at_once_for_the_last_place_one_lands(
    resources: ApiResources,
) -> None:
    """Thirty URIs at once, with room for one: one lands, the rest are too many."""
    many(resources, MAX_API_RESOURCES - 1)

    def register(i: int) -> str:
        try:
            resources.add(api(f"https://new{i}.example.com/", NOW + timedelta(hours=1)))
        except Conflict as exc:
            return exc.code
        return "added"

    with ThreadPoolExecutor(30) as pool:
        outcomes = list(pool.map(register, range(30)))
    assert outcomes.count("added") == 1, outcomes
    assert outcomes.count("too_many_resources") == 29
    assert len(resources.list(MAX_API_RESOURCES + 10)) == MAX_API_RESOURCES


def test_the_orgs_a_resource_allows_change_and_thirty_at_once_all_land(
    resources: ApiResources,
) -> None:
    resources.add(api())
    assert resources.update("https://nobody.example.com/", lambda r: r.allowing(("x",))) is None
    changed = resources.update(TASKS, lambda r: r.allowing(("org-a",)))
    assert changed is not None and changed.orgs == ("org-a",)
    assert resources.list(10)[0].orgs == ("org-a",)

    def allow(i: int) -> None:
        resources.update(TASKS, lambda r: r.allowing((f"org-{i}",)))

    with ThreadPoolExecutor(max_workers=30) as pool:
        list(pool.map(allow, range(30)))
    [kept] = resources.list(10)
    assert set(kept.orgs) == {"org-a", *(f"org-{i}" for i in range(30))}  # none lost
    assert kept.scope_names == ("tasks:read", "tasks:write")  # the scopes stay as they were
    gone = resources.update(TASKS, lambda r: r.allowing(("org-a",), allowed=False))
    assert gone is not None and "org-a" not in gone.orgs
