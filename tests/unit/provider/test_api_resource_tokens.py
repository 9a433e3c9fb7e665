"""Tokens for an API resource with its own scopes, on the fakes (docs/reference/oauth.md, "API
resources"): clients allowed some of them, the consent page's descriptions in the person's
language, the access token's ``aud`` and ``scope`` (refreshed and introspected too), what
is ``invalid_scope``, and the metadata's ``scopes_supported``."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from application.clients.services import ClientServices
from bootstrap.clients import ClientsAdapters
from domain.clients.oauth import SCOPES, TOKEN_EXCHANGE
from domain.signin.active_org import ActiveOrg
from tests.fakes.clients import FakeApiResources
from tests.support.api import bearer, login, register
from tests.support.oauth import (
    REDIRECT,
    OAuthWorld,
    browsing_member,
    claims,
    csrf_of,
    device_client,
    redirected,
    start,
)

pytestmark = pytest.mark.unit
TASKS = "https://tasks.example.com/"
NOTES = "https://notes.example.com/"


def cli(world: OAuthWorld, *args: str) -> tuple[int, str]:
    result = world.app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


@pytest.fixture
def world() -> OAuthWorld:
    found = OAuthWorld()
    tasks: tuple[str, ...] = ("--scope", "tasks:read", "--scope", "tasks:write")
    tasks += ("--description", "tasks:read", "Read your tasks")
    tasks += ("--description-es", "tasks:read", "Leer tus tareas")
    tasks += ("--description", "tasks:write", "Change your tasks")
    notes = ("--scope", "notes:read", "--description", "notes:read", "Read your notes")
    for uri, scopes in [(TASKS, tasks), (NOTES, notes)]:
        code, output = cli(found, "resources", "add", uri, *scopes)
        assert code == 0, output
    return found


def ask(world: OAuthWorld, client_id: str, **params: str) -> Any:
    """An authorization request with PKCE: the consent page, or the redirect."""
    challenge = create_s256_code_challenge(secrets.token_urlsafe(48))
    return world.authorize(
        client_id, code_challenge=challenge, code_challenge_method="S256", **params
    )


@pytest.fixture
def app(world: OAuthWorld) -> dict[str, Any]:
    """A confidential client allowed tasks:read (not tasks:write)."""
    return world.register("--confidential", "--resource-scope", "tasks:read")


def test_a_client_is_allowed_only_registered_resource_scopes(world: OAuthWorld) -> None:
    made = world.register("--resource-scope", "tasks:read", "--resource-scope", "notes:read")
    assert made["resource_scopes"] == ["tasks:read", "notes:read"]
    base = ["clients", "create", "--name", "X", "--redirect-uri", "https://x.example/cb"]
    code, output = cli(world, *base, "--resource-scope", "nobodys")
    assert code == 1 and "no registered API resource's scope" in output
    code, output = cli(world, *base, "--resource", TASKS, "--resource-scope", "notes:read")
    assert code == 1 and "not one of the client's resources" in output
    assert len(json.loads(cli(world, "clients", "list")[1])) == 1


@pytest.mark.parametrize(
    ("language", "said"), [("en", "Read your tasks"), ("es", "Leer tus tareas")]
)
def test_consent_names_the_resources_scope_in_the_persons_language(
    world: OAuthWorld, app: dict[str, Any], language: str, said: str
) -> None:
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    page = ask(world, app["client_id"], scope="openid tasks:read", resource=TASKS)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"<li>{said}</li>" in html
    assert TASKS in html
    assert "Change your tasks" not in html and "Read your notes" not in html


def test_the_token_for_the_resource_carries_its_scope_refreshed_and_introspected(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app, scope="openid offline_access tasks:read", resource=TASKS)
    assert tokens["scope"] == "openid offline_access tasks:read"
    found = claims(world, tokens["access_token"])
    assert found["aud"] == TASKS and found["scope"] == "openid offline_access tasks:read"
    refreshed = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    again = claims(world, refreshed.get_json()["access_token"])
    assert again["aud"] == TASKS and "tasks:read" in again["scope"].split()
    seen = world.client.post(
        "/oauth/introspect",
        data={"token": refreshed.get_json()["access_token"]},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert seen.get_json()["active"] is True
    assert seen.get_json()["scope"] == "openid offline_access tasks:read"
    assert seen.get_json()["aud"] == TASKS


@pytest.mark.parametrize(
    ("scope", "resource", "said"),
    [
        ("openid tasks:write", TASKS, "This client is not allowed the scope 'tasks:write'."),
        ("openid tasks:read", None, f"ask for it with resource={TASKS}."),
        ("openid tasks:read", NOTES, f"ask for it with resource={TASKS}."),
        ("openid nobodys:scope", TASKS, "Unknown scope: nobodys:scope."),
    ],
)
def test_a_scope_the_client_or_the_resource_cannot_have_is_invalid_scope(
    world: OAuthWorld, app: dict[str, Any], scope: str, resource: str | None, said: str
) -> None:
    extra = {"resource": resource} if resource else {}
    query = redirected(ask(world, app["client_id"], scope=scope, **extra))
    assert query["error"] == "invalid_scope"
    assert said in query["error_description"]


def test_a_clients_own_token_for_the_resource_carries_its_scope(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    def own(**form: str) -> Any:
        return world.post_token(app, grant_type="client_credentials", **form)

    answer = own(scope="tasks:read", resource=TASKS)
    assert answer.status_code == 200, answer.get_json()
    found = claims(world, answer.get_json()["access_token"])
    assert found["aud"] == TASKS and found["scope"] == "tasks:read"
    for form in (
        {"scope": "tasks:write", "resource": TASKS},
        {"scope": "tasks:read"},
        {"scope": "email tasks:read", "resource": NOTES},
    ):
        refused = own(**form)
        assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_scope"
    # without a resource, no resource scope in the token, however the client is allowed
    plain = claims(world, own(scope="email").get_json()["access_token"])
    assert plain["scope"] == "email" and plain["aud"] == app["client_id"]


def test_an_exchange_keeps_a_resources_scope_only_at_that_resource(world: OAuthWorld) -> None:
    service = world.register(
        "--confidential",
        "--grant",
        "token_exchange",
        "--resource",
        TASKS,
        "--resource",
        NOTES,
        "--resource-scope",
        "tasks:read",
        "--resource-scope",
        "notes:read",
    )
    subject = world.tokens(service, scope="openid tasks:read", resource=TASKS)["access_token"]

    def exchange(**form: str) -> Any:
        return world.post_token(
            service,
            grant_type=TOKEN_EXCHANGE,
            subject_token=subject,
            subject_token_type="urn:ietf:params:oauth:token-type:access_token",
            **form,
        )

    inherited = exchange(resource=NOTES)
    assert inherited.status_code == 200, inherited.get_json()
    assert claims(world, inherited.get_json()["access_token"])["scope"] == "openid"
    asked = exchange(resource=NOTES, scope="tasks:read")
    assert asked.status_code == 400 and asked.get_json()["error"] == "invalid_scope"


def test_the_metadata_lists_the_registered_scopes_read_once_an_interval(
    world: OAuthWorld,
) -> None:
    repository = world.adapters.of(ClientsAdapters).api_resources
    assert isinstance(repository, FakeApiResources)
    before = repository.lists
    for _ in range(3):
        meta = world.client.get("/.well-known/openid-configuration").get_json()
        assert meta["scopes_supported"] == [*SCOPES, "tasks:read", "tasks:write", "notes:read"]
    assert repository.lists - before <= 1


def test_a_removed_resources_scope_leaves_the_next_refreshed_token(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app, scope="openid offline_access tasks:read", resource=TASKS)
    assert cli(world, "resources", "remove", TASKS)[0] == 0
    refreshed = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    found = claims(world, refreshed.get_json()["access_token"])
    assert found["aud"] == TASKS and found["scope"] == "openid offline_access"


def test_a_token_in_an_org_carries_only_the_resource_scopes_the_members_permissions_allow(
    world: OAuthWorld,
) -> None:
    both = world.register(
        "--confidential", "--resource-scope", "tasks:read", "--resource-scope", "tasks:write"
    )
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    acme = ActiveOrg(id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=1)
    world.store.active_orgs[(acme.id, alice.id)] = replace(acme, permissions=("tasks:read",))
    scope = "openid offline_access organization tasks:read tasks:write"
    tokens = world.tokens(both, scope=scope, resource=TASKS, organization="acme")
    assert tokens["scope"] == "openid offline_access organization tasks:read"
    assert claims(world, tokens["access_token"])["scope"] == tokens["scope"]
    # the member's permissions as they stand at the refresh
    world.store.active_orgs[(acme.id, alice.id)] = acme
    refreshed = world.post_token(
        both, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).get_json()
    assert claims(world, refreshed["access_token"])["scope"] == "openid offline_access organization"
    # without an org, the client's allowance alone
    alone = world.tokens(both, scope="openid tasks:read tasks:write", resource=TASKS)
    assert alone["scope"] == "openid tasks:read tasks:write"


def test_an_admin_allows_an_app_resource_scopes_on_admin(world: OAuthWorld) -> None:
    world.app.test_cli_runner().invoke(args=["users", "set-role", "alice", "admin"])
    page = world.client.get("/admin").get_data(as_text=True)
    assert "<code>notes:read</code> (https://notes.example.com/)</label>" in page
    form = {"csrf_token": csrf_of(page), "name": "App", "redirect_uris": REDIRECT}
    answer = world.client.post("/admin/clients", data=form | {"resource_scope": "tasks:read"})
    assert answer.status_code == 201
    [client] = world.services.of(ClientServices).clients.list_clients()
    assert client.resource_scopes == ("tasks:read",)
    limited = form | {"resource_scope": "tasks:read", "resources": NOTES}
    refused = world.client.post("/admin/clients", data=limited)
    assert refused.status_code == 422
    assert 'id="client-resource_scope-error" role="alert">Choose scopes of' in (
        refused.get_data(as_text=True)
    )


def test_an_orgs_client_has_only_the_resources_the_operator_allows_the_org(
    world: OAuthWorld,
) -> None:
    # Anyone may make an org and register its apps: an app of it gets an API resource's
    # scopes or tokens only where the operator allows that org
    # (docs/decisions/0452-an-orgs-app-gets-what-the-operator-allows.md).
    register(world.client, "olga")
    auth = bearer(login(world.client, "olga"))
    made_org = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=auth)
    assert made_org.status_code == 201, made_org.get_json()
    browsing_member(world, made_org.get_json()["id"])
    body: dict[str, Any] = {
        "name": "Acme app",
        "redirect_uris": [REDIRECT],
        "confidential": True,
        "resource_scopes": ["tasks:read"],
    }
    refused = world.client.post("/orgs/acme/clients", json=body, headers=auth)
    assert refused.status_code == 422 and refused.get_json()["code"] == "resource_not_allowed"
    for resources in ([TASKS], [NOTES]):
        limited = {**body, "resource_scopes": [], "resources": resources}
        answer = world.client.post("/orgs/acme/clients", json=limited, headers=auth)
        assert answer.status_code == 422 and answer.get_json()["code"] == "resource_not_allowed"
    # An app that names no resource may ask a token for none the org is not allowed.
    plain = world.client.post(
        "/orgs/acme/clients", json={**body, "resource_scopes": []}, headers=auth
    )
    assert plain.status_code == 201, plain.get_json()
    app = plain.get_json()
    own = world.post_token(app, grant_type="client_credentials", resource=TASKS)
    assert own.status_code == 400 and own.get_json()["error"] == "invalid_target"
    code, output = cli(world, "resources", "allow", TASKS, "acme")
    assert code == 0, output
    assert json.loads(output)["orgs"] == [made_org.get_json()["id"]]
    made = world.client.post("/orgs/acme/clients", json=body, headers=auth)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["resource_scopes"] == ["tasks:read"]
    allowed = made.get_json()
    answer = world.post_token(allowed, grant_type="client_credentials", resource=TASKS)
    assert answer.status_code == 200, answer.get_json()
    assert claims(world, answer.get_json()["access_token"])["aud"] == TASKS
    notes = world.post_token(allowed, grant_type="client_credentials", resource=NOTES)
    assert notes.status_code == 400 and notes.get_json()["error"] == "invalid_target"
    person = world.tokens(allowed, resource=TASKS, scope="openid offline_access tasks:read")
    assert claims(world, person["access_token"])["scope"] == "openid offline_access tasks:read"
    # Disallowed again: the next token request is refused, without waiting for the cache.
    code, output = cli(world, "resources", "disallow", TASKS, "acme")
    assert code == 0 and json.loads(output)["orgs"] == []
    again = world.post_token(allowed, grant_type="client_credentials", resource=TASKS)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_target"
    refreshed = world.post_token(
        allowed, grant_type="refresh_token", refresh_token=person["refresh_token"]
    )
    assert refreshed.status_code == 400 and refreshed.get_json()["error"] == "invalid_target"
    code, output = cli(world, "resources", "allow", TASKS, "no-such-org")
    assert code != 0 and "No such organization." in output
    body["resource_scopes"] = ["nobodys"]
    unknown = world.client.post("/orgs/acme/clients", json=body, headers=auth)
    assert unknown.status_code == 422
    assert unknown.get_json()["code"] == "invalid_resource_scope"
    body["resource_scopes"] = ["with space"]
    assert world.client.post("/orgs/acme/clients", json=body, headers=auth).status_code == 422


def test_the_device_flow_which_takes_no_resource_refuses_a_resources_scope(
    world: OAuthWorld,
) -> None:
    tv = device_client(world, "--resource-scope", "tasks:read")
    asked = {"client_id": tv["client_id"], "scope": "openid tasks:read"}
    answer = world.client.post("/oauth/device_authorization", data=asked)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_scope"
    assert "resource=" in answer.get_json()["error_description"]
    assert start(world, tv, "openid")["user_code"]
