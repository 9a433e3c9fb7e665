"""API resources with their own scopes, registered by admins (docs/reference/oauth.md, "API
resources"): their rules, the command line, and the catalogue each process reads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.clients.api_resources import (
    AddResource,
    ApiResourceRegistry,
    CatalogueCache,
    ScopeText,
)
from application.clients.services import ClientServices
from domain.clients.api_resources import ApiResource, ApiScope, ResourceCatalogue
from domain.errors import Conflict, InvalidInput
from tests.fakes.clients import FakeApiResources
from tests.fakes.kernel import FakeClock
from tests.fakes.orgs import FakeOrgRepository
from tests.support.admin_pages import browser, post, root
from tests.support.app import World
from tests.support.oauth import OAuthWorld

__all__ = ["root"]  # a fixture, used here

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, tzinfo=UTC)
TASKS = "https://tasks.example.com/"
DESCRIBED = (
    "--scope",
    "tasks:read",
    "--scope",
    "tasks:write",
    "--description",
    "tasks:read",
    "Read your tasks",
    "--description-es",
    "tasks:read",
    "Leer tus tareas",
    "--description",
    "tasks:write",
    "Change your tasks",
)


def run(world: OAuthWorld, *args: str) -> tuple[int, str]:
    result = world.app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def added(world: OAuthWorld, uri: str = TASKS, *args: str) -> dict[str, Any]:
    code, output = run(world, "resources", "add", uri, *(args or DESCRIBED))
    assert code == 0, output
    found: dict[str, Any] = json.loads(output)
    return found


@pytest.mark.parametrize(
    "name",
    ["", "tasks read", 'say"hi', "back\\slash", "é", "x" * 101, "openid", "offline_access"],
)
def test_a_scope_is_a_scope_token_and_none_of_firegates_own(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ApiScope.new(name, "Something")
    assert refused.value.code == "invalid_scope_name"


def test_every_scope_has_a_description_of_one_line() -> None:
    for description in ("", "   ", "two\nlines", "\u202eevil", "x" * 201):
        with pytest.raises(InvalidInput) as refused:
            ApiScope.new("tasks:read", description)
        assert refused.value.code == "invalid_scope_text"
    with pytest.raises(InvalidInput):
        ApiScope.new("tasks:read", "Read", "dos\nlíneas")
    scope = ApiScope.new("tasks:read", " Read your tasks ", "Leer tus tareas")
    assert scope.described("es") == "Leer tus tareas"
    assert scope.described("en") == scope.described(None) == "Read your tasks"
    assert ApiScope.new("tasks:read", "Read").described("es") == "Read"


def test_a_resource_is_an_absolute_uri_with_one_to_twenty_distinct_scopes() -> None:
    read = ApiScope.new("tasks:read", "Read")
    for uri in ("tasks", "https://a.example/#x", ""):
        with pytest.raises(InvalidInput) as refused:
            ApiResource.new(uri, [read], NOW)
        assert refused.value.code == "invalid_resource"
    with pytest.raises(InvalidInput):
        ApiResource.new(TASKS, [], NOW)
    with pytest.raises(InvalidInput):
        ApiResource.new(TASKS, [read, read], NOW)
    many = [ApiScope.new(f"s{i}", "S") for i in range(21)]
    with pytest.raises(InvalidInput):
        ApiResource.new(TASKS, many, NOW)


def catalogue() -> ResourceCatalogue:
    tasks = ApiResource.new(
        TASKS, [ApiScope.new("tasks:read", "Read"), ApiScope.new("tasks:write", "Write")], NOW
    )
    notes = ApiResource.new("https://notes.example.com/", [ApiScope.new("notes", "Notes")], NOW)
    return ResourceCatalogue((tasks, notes))


def test_a_resources_scope_only_for_that_resource_and_a_client_allowed_it() -> None:
    found, allowed = catalogue(), ("tasks:read", "notes")
    assert found.refusal(("openid", "tasks:read"), TASKS, allowed) is None
    assert found.refusal(("openid", "email"), None, ()) is None
    without = found.refusal(("tasks:read",), None, allowed)
    assert without == (
        f"'tasks:read' is a scope of the API resource {TASKS}: ask for it with resource={TASKS}."
    )
    assert found.refusal(("tasks:read",), "https://notes.example.com/", allowed) is not None
    assert found.refusal(("tasks:write",), TASKS, allowed) == (
        "This client is not allowed the scope 'tasks:write'."
    )
    assert found.refusal(("nobodys",), TASKS, allowed) == "Unknown scope: nobodys."
    assert found.scope_names() == ("tasks:read", "tasks:write", "notes")
    assert found.within(("openid", "tasks:read", "notes"), TASKS, allowed) == (
        "openid",
        "tasks:read",
    )


def test_a_client_is_allowed_only_registered_scopes_of_its_resources() -> None:
    found = catalogue()
    assert found.check_allowance(("tasks:read", "tasks:read")) == ("tasks:read",)
    assert found.check_allowance(("notes",), ("https://notes.example.com/",)) == ("notes",)
    for scopes, limited in [(("nobodys",), ()), (("notes",), (TASKS,))]:
        with pytest.raises(InvalidInput) as refused:
            found.check_allowance(scopes, limited)
        assert refused.value.code == "invalid_resource_scope"


def test_the_catalogue_is_read_once_an_interval_and_at_once_after_a_change_here() -> None:
    repository, ticks = FakeApiResources(), [0.0]
    cache = CatalogueCache(repository, 5.0, lambda: ticks[0])
    assert cache.catalogue() == ResourceCatalogue()
    ticks[0] = 4.9
    assert cache.catalogue() == ResourceCatalogue()
    assert repository.lists == 1
    repository.add(ApiResource.new(TASKS, [ApiScope.new("t", "T")], NOW))  # another process
    assert cache.catalogue().resources == ()
    ticks[0] = 5.0
    assert cache.catalogue().scope_names() == ("t",)
    assert repository.lists == 2
    cache.drop()  # a change made through this process
    assert cache.catalogue().scope_names() == ("t",)
    assert repository.lists == 3


def test_resources_add_list_and_remove_on_the_command_line() -> None:
    world = OAuthWorld()
    made = added(world)
    assert made["uri"] == TASKS
    assert made["scopes"] == [
        {
            "name": "tasks:read",
            "description": "Read your tasks",
            "description_es": "Leer tus tareas",
        },
        {"name": "tasks:write", "description": "Change your tasks", "description_es": None},
    ]
    code, listed = run(world, "resources", "list")
    assert code == 0 and json.loads(listed) == [made]
    code, again = run(world, "resources", "add", TASKS, *DESCRIBED)
    assert code == 1 and "registered" in again
    code, removed = run(world, "resources", "remove", TASKS)
    assert code == 0 and json.loads(removed) == {"removed": TASKS}
    code, gone = run(world, "resources", "remove", TASKS)
    assert code == 1 and "No such API resource." in gone
    assert json.loads(run(world, "resources", "list")[1]) == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--scope", "tasks:read"), "Each scope has a description"),
        (("--scope", "openid", "--description", "openid", "Who"), "firegate's own scopes"),
        (("--scope", "a", "--description", "b", "B"), "'b' is described but not a --scope."),
    ],
)
def test_resources_add_refuses_what_it_cannot_register(args: tuple[str, ...], said: str) -> None:
    world = OAuthWorld()
    code, output = run(world, "resources", "add", TASKS, *args)
    assert code == 1 and said in output
    assert json.loads(run(world, "resources", "list")[1]) == []


@pytest.fixture
def world() -> World:
    return World()


def test_an_admin_registers_and_removes_a_resource_on_admin(
    world: World, root: FlaskClient
) -> None:
    lines = "tasks:read | Read your tasks | Leer tus tareas\n\ntasks:write | Change your tasks\n"
    status, where, _ = post(root, "/admin/resources", "/admin", uri=TASKS, scopes=lines)
    assert (status, where) == (303, "/admin#resources")
    [made] = world.services.of(ClientServices).resources.list_resources()
    assert made.scopes == (
        ApiScope("tasks:read", "Read your tasks", "Leer tus tareas"),
        ApiScope("tasks:write", "Change your tasks", None),
    )
    html = root.get("/admin").get_data(as_text=True)
    assert f"<code>{TASKS}</code>" in html and 'lang="es">Leer tus tareas</span>' in html
    status, where, _ = post(root, "/admin/resources/remove", "/admin", uri=TASKS)
    assert (status, where) == (303, "/admin#resources")
    assert world.services.of(ClientServices).resources.list_resources() == []
    assert "No API resource is registered." in root.get("/admin").get_data(as_text=True)


@pytest.mark.parametrize(
    ("uri", "lines", "field", "said"),
    [
        ("tasks", "a | A", "uri", "A resource is an absolute URI"),
        (TASKS, "tasks:read", "scopes", "One scope a line"),
        (TASKS, "openid | Who you are", "scopes", "none of firegate&#39;s own scopes"),
        (TASKS, "a | A\na | Again", "scopes", "1 to 20 scopes, each named once."),
        (TASKS, "a |  ", "scopes", "Each scope has a description"),
    ],
)
def test_a_refused_resource_is_said_beside_its_field(
    world: World, root: FlaskClient, uri: str, lines: str, *, field: str, said: str
) -> None:
    status, _, html = post(root, "/admin/resources", "/admin", uri=uri, scopes=lines)
    assert status == 422, html
    message = re.search(rf'id="resource-{field}-error" role="alert">([^<]+)<', html)
    assert message is not None and said in message.group(1), html
    assert world.services.of(ClientServices).resources.list_resources() == []


def test_a_uri_registered_already_is_a_409_beside_it(world: World, root: FlaskClient) -> None:
    post(root, "/admin/resources", "/admin", uri=TASKS, scopes="a | A")
    status, _, html = post(root, "/admin/resources", "/admin", uri=TASKS, scopes="b | B")
    assert status == 409
    assert 'id="resource-uri-error" role="alert">An API resource with this URI' in html
    status, _, html = post(root, "/admin/resources/remove", "/admin", uri="https://x.example/")
    assert status == 404 and "No such API resource" in html


def test_only_an_admin_registers_a_resource(world: World, root: FlaskClient) -> None:
    bob = browser(world, "bob")
    status, _, _ = post(bob, "/admin/resources", "/account", uri=TASKS, scopes="a | A")
    assert status == 403
    assert world.services.of(ClientServices).resources.list_resources() == []
    forged = root.post("/admin/resources", data={"uri": TASKS, "scopes": "a | A"})
    assert forged.status_code == 403
    assert world.services.of(ClientServices).resources.list_resources() == []


def test_firegate_s_own_api_is_no_resource() -> None:
    """Its tokens are the API's, never the provider's: registered, it would take a place
    and its scopes would reach discovery, while every token asked for it is refused."""
    api = "https://api.example.com/"
    world = OAuthWorld(jwt_audience=api, jwt_issuer="https://id.example.com/")
    for uri in (api, "https://id.example.com/"):
        code, output = run(world, "resources", "add", uri, *DESCRIBED)
        assert code != 0 and "firegate's own API" in output
    assert world.services.of(ClientServices).resources.list_resources() == []
    assert added(world, "https://api.example.com/v2/")["uri"] == "https://api.example.com/v2/"


def test_at_most_two_hundred_resources_are_registered() -> None:
    repository = FakeApiResources()
    for i in range(200):
        repository.add(ApiResource.new(f"https://api{i}.example.com/", [ApiScope("s", "S")], NOW))
    cache = CatalogueCache(repository, 5.0)
    registry = ApiResourceRegistry(catalogue=cache, orgs=FakeOrgRepository(), clock=FakeClock())
    with pytest.raises(Conflict) as refused:
        registry.add_resource(AddResource(TASKS, (ScopeText("s", "S"),)))
    assert refused.value.code == "too_many_resources"
    repository.delete("https://api0.example.com/")
    made = registry.add_resource(AddResource(TASKS, (ScopeText("s", "S"),)))
    assert made.uri == TASKS and len(repository.list(300)) == 200
