"""An org's own OAuth clients on the fakes: its admins register, list and delete them; their
own tokens carry the org's id and end with the client or the org (docs/reference/orgs.md,
"Apps and tokens of an org")."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any, get_args

import pytest

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap.clients import ClientsAdapters
from domain.clients.oauth import OPT_IN_GRANTS, SCOPES
from domain.provider.token_exchange import ACCESS_TOKEN
from domain.provider.token_exchange import GRANT_TYPE as TOKEN_EXCHANGE_GRANT
from interfaces.http.schemas.clients.org_clients import OptInGrant, Scope
from tests.support.api import assert_field_error, assert_problem, bearer, login, register
from tests.support.oauth import REDIRECT, OAuthWorld, browsing_member, claims, enter

pytestmark = pytest.mark.unit
Auth = dict[str, str]
API = "https://api.acme.example"
SERVICE: dict[str, object] = {
    "name": "Acme billing",
    "redirect_uris": ["https://billing.acme.example/callback"],
    "confidential": True,
    "scopes": ["profile", "roles"],
}


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def person(world: OAuthWorld, name: str) -> Auth:
    register(world.client, name)
    return bearer(login(world.client, name))


def org(world: OAuthWorld, owner: Auth, slug: str = "acme") -> str:
    made = world.client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=owner)
    assert made.status_code == 201, made.get_json()
    org_id: str = made.get_json()["id"]
    return org_id


def join(world: OAuthWorld, slug: str, name: str, *roles: str) -> Auth:
    auth = person(world, name)
    world.services.of(OrgServices).members.add_member(AddMember(slug, name, roles))
    return auth


def create(world: OAuthWorld, auth: Auth, slug: str = "acme", **fields: Any) -> Any:
    answer = world.client.post(f"/orgs/{slug}/clients", json=SERVICE | fields, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_json()


def own_token(world: OAuthWorld, client: dict[str, Any], **form: str) -> Any:
    answer = world.post_token(client, grant_type="client_credentials", **form)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["access_token"]


def introspect(world: OAuthWorld, token: str, client: dict[str, Any]) -> Any:
    """What ``client`` learns of the token: the one it was issued to, or any confidential
    client for a token for a resource (a resource server)."""
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode())
    answer = world.client.post(
        "/oauth/introspect",
        data={"token": token},
        headers={"Authorization": f"Basic {basic.decode()}"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def cli(world: OAuthWorld, *args: str) -> tuple[int, str]:
    result = world.app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def api_for(world: OAuthWorld, slug: str = "acme") -> None:
    """``API`` registered, and allowed to the org's own apps by the operator."""
    described = ("--scope", "api:read", "--description", "api:read", "Read")
    code, output = cli(world, "resources", "add", API, *described)
    assert code == 0, output
    code, output = cli(world, "resources", "allow", API, slug)
    assert code == 0, output


def test_the_schema_names_the_providers_scopes_and_grants() -> None:
    assert get_args(Scope) == SCOPES
    assert get_args(OptInGrant) == tuple(OPT_IN_GRANTS)


def test_an_admin_registers_an_app_of_the_org_whose_own_tokens_carry_its_id(
    world: OAuthWorld,
) -> None:
    alice = person(world, "olga")
    acme = org(world, alice)
    made = create(world, alice)
    assert made["org_id"] == acme and made["client_secret"]
    assert (made["name"], made["confidential"], made["scopes"]) == (
        "Acme billing",
        True,
        ["profile", "roles"],
    )
    token = own_token(world, made, scope="roles")
    access = claims(world, token)
    assert access["org_id"] == acme and access["sub"] == made["client_id"]
    assert "org_slug" not in access and "org_roles" not in access  # about no person
    found = introspect(world, token, made)
    assert found["active"] is True and found["org_id"] == acme


def test_the_services_own_apps_carry_no_org(world: OAuthWorld) -> None:
    service = world.register("--confidential", "--scope", "roles", name="A service")
    access = claims(world, own_token(world, service))
    assert "org_id" not in access
    assert "org_id" not in introspect(world, own_token(world, service), service)


def test_the_list_is_the_orgs_apps_only_and_never_a_secret(world: OAuthWorld) -> None:
    alice, bob = person(world, "olga"), person(world, "bob")
    org(world, alice)
    org(world, bob, "globex")
    first = create(world, alice, name="First")
    second = create(world, alice, name="Second", confidential=False)
    create(world, bob, "globex")
    world.register(name="The service's")
    listed = world.client.get("/orgs/acme/clients", headers=alice)
    assert listed.status_code == 200, listed.get_json()
    items = listed.get_json()["items"]
    assert [c["client_id"] for c in items] == [first["client_id"], second["client_id"]]
    assert second["client_secret"] is None and items[1]["confidential"] is False
    assert all("client_secret" not in c and "secret_hash" not in c for c in items)


def test_the_same_fields_and_rules_as_clients_create(world: OAuthWorld) -> None:
    alice = person(world, "olga")
    org(world, alice)
    made = create(
        world,
        alice,
        redirect_uris=["http://127.0.0.1/cb", REDIRECT],
        post_logout_redirect_uris=["https://acme.example/bye"],
        dpop_bound_access_tokens=True,
    )
    assert made["redirect_uris"] == ["http://127.0.0.1/cb", REDIRECT]
    assert made["grants"] == []
    assert made["dpop_bound_access_tokens"] is True
    assert made["resources"] == []
    assert made["pkce"] == "required"
    assert made["backchannel_logout_uri"] is None
    assert made["backchannel_logout_session_required"] is False
    assert create(world, alice, pkce="optional")["pkce"] == "optional"
    told = create(
        world,
        alice,
        backchannel_logout_uri="https://acme.example/bc",
        backchannel_logout_session_required=True,
    )
    assert told["backchannel_logout_uri"] == "https://acme.example/bc"
    assert told["backchannel_logout_session_required"] is True
    default = create(world, alice, scopes=[])
    assert default["scopes"] == list(SCOPES)  # none named: every scope, as on the CLI
    url = "/orgs/acme/clients"
    for body, field, code in (
        (
            SERVICE | {"redirect_uris": ["http://example.com/cb"]},
            "redirect_uri",
            "invalid_redirect_uri",
        ),
        (
            SERVICE | {"redirect_uris": ["https://a.example/cb#x"]},
            "redirect_uri",
            "invalid_redirect_uri",
        ),
        (SERVICE | {"name": "\u202eevil"}, "name", "invalid_name"),
        (SERVICE | {"resources": ["not a uri"]}, "resources", "resource_not_allowed"),
        (SERVICE | {"resources": [API]}, "resources", "resource_not_allowed"),
        (SERVICE | {"grants": ["token_exchange"]}, "grants", "grant_needs_operator"),
        (SERVICE | {"grants": ["device_code"]}, "grants", "grant_needs_operator"),
        (SERVICE | {"confidential": False, "pkce": "optional"}, "pkce", "invalid_pkce_policy"),
        (
            SERVICE | {"backchannel_logout_uri": "https://acme.example/bc#x"},
            "backchannel_logout_uri",
            "invalid_backchannel_logout_uri",
        ),
    ):
        assert_field_error(world.client.post(url, json=body, headers=alice), field, code)
    refused: tuple[dict[str, object], ...] = (
        SERVICE | {"redirect_uris": []},
        SERVICE | {"scopes": ["admin"]},
        SERVICE | {"grants": ["password"]},
        SERVICE | {"client_id": "mine"},  # never chosen by the caller
        SERVICE | {"confidential": "yes"},
        SERVICE | {"pkce": "plain"},
        SERVICE | {"backchannel_logout_session_required": "yes"},
        {"name": "x"},
    )
    for body in refused:
        answer = world.client.post(url, json=body, headers=alice)
        assert_problem(answer, 422, "validation_failed")


def test_only_the_orgs_admins_manage_its_apps(world: OAuthWorld) -> None:
    alice = person(world, "olga")
    org(world, alice)
    made = create(world, alice)
    admin = join(world, "acme", "ada", "admin")
    member = join(world, "acme", "mel", "member")
    stranger = person(world, "sam")
    assert create(world, admin)["org_id"] == made["org_id"]
    path = f"/orgs/acme/clients/{made['client_id']}"
    for answer in (
        world.client.post("/orgs/acme/clients", json=SERVICE, headers=member),
        world.client.get("/orgs/acme/clients", headers=member),
        world.client.delete(path, headers=member),
    ):
        assert_problem(answer, 403, "org_permission_denied")
    for answer in (
        world.client.post("/orgs/acme/clients", json=SERVICE, headers=stranger),
        world.client.get("/orgs/acme/clients", headers=stranger),
        world.client.delete(path, headers=stranger),
    ):
        assert_problem(answer, 404, "org_not_found")
    assert_problem(world.client.get("/orgs/acme/clients"), 401, "missing_token")


def test_a_personal_token_lists_but_never_registers_nor_deletes(world: OAuthWorld) -> None:
    alice = person(world, "olga")
    org(world, alice)
    made = create(world, alice)
    pat = world.client.post(
        "/auth/tokens",
        json={"name": "ci", "scopes": ["read", "write"], "expires_in": 600},
        headers=alice,
    ).get_json()["token"]
    assert world.client.get("/orgs/acme/clients", headers=bearer(pat)).status_code == 200
    for answer in (
        world.client.post("/orgs/acme/clients", json=SERVICE, headers=bearer(pat)),
        world.client.delete(f"/orgs/acme/clients/{made['client_id']}", headers=bearer(pat)),
    ):
        assert_problem(answer, 403, "session_required")


def test_deleting_an_app_ends_its_tokens_and_only_the_orgs_own_can_be(
    world: OAuthWorld,
) -> None:
    alice, bob = person(world, "olga"), person(world, "bob")
    org(world, alice)
    org(world, bob, "globex")
    made = create(world, alice)
    theirs = create(world, bob, "globex")
    service = world.register("--confidential", name="The service's")
    api_for(world)
    token = own_token(world, made, resource=API)  # a resource server introspects it
    assert introspect(world, token, service)["org_id"] == made["org_id"]
    for client_id in (theirs["client_id"], service["client_id"], "nope"):
        answer = world.client.delete(f"/orgs/acme/clients/{client_id}", headers=alice)
        assert_problem(answer, 404, "client_not_found")
    assert (
        world.client.delete(f"/orgs/acme/clients/{made['client_id']}", headers=alice).status_code
        == 204
    )
    assert introspect(world, token, service) == {"active": False}
    again = world.post_token(made, grant_type="client_credentials")
    assert again.get_json()["error"] == "invalid_client"
    answer = world.client.delete(f"/orgs/acme/clients/{made['client_id']}", headers=alice)
    assert_problem(answer, 404, "client_not_found")
    assert world.client.get("/orgs/acme/clients", headers=alice).get_json()["items"] == []


def test_the_orgs_deletion_ends_its_apps_and_their_tokens(world: OAuthWorld) -> None:
    alice = person(world, "olga")
    org(world, alice)
    org(world, alice, "globex")
    made = create(world, alice)
    kept = create(world, alice, "globex")
    server = world.register("--confidential", name="Resource server")
    api_for(world)
    token = own_token(world, made, resource=API)
    assert introspect(world, token, server)["active"] is True
    assert world.client.delete("/orgs/acme", headers=alice).status_code == 204
    world.deliver()  # the purge job
    assert introspect(world, token, server) == {"active": False}
    assert world.post_token(made, grant_type="client_credentials").get_json()["error"] == (
        "invalid_client"
    )
    assert claims(world, own_token(world, kept))["org_id"] != made["org_id"]


def test_the_opt_in_grants_of_an_orgs_app_are_the_operators_to_give(world: OAuthWorld) -> None:
    # An app an org's admins registered with a grant earlier (before they were refused it)
    # uses none; the operator's app of the org (``clients create --org``) uses what it gave.
    alice = person(world, "olga")
    acme = org(world, alice)
    earlier = create(world, alice, confidential=False)
    stored = world.adapters.of(ClientsAdapters).oauth_clients
    found = stored.get(earlier["client_id"])
    assert found is not None
    stored.delete(found.client_id)
    stored.add(replace(found, grants=(OPT_IN_GRANTS["device_code"],)))
    asked = world.client.post("/oauth/device_authorization", data={"client_id": found.client_id})
    assert asked.status_code in (400, 401) and asked.get_json()["error"] == "unauthorized_client"
    tv = world.register("--org", "acme", "--grant", "device_code", name="Acme TV")
    browsing_member(world, acme)
    assert tv["org_id"] == acme and tv["grants"] == [OPT_IN_GRANTS["device_code"]]
    started = world.client.post("/oauth/device_authorization", data={"client_id": tv["client_id"]})
    assert started.status_code == 200, started.get_json()
    # The page where the person decides says whose app it is.
    shown = enter(world, started.get_json()["user_code"]).get_data(as_text=True)
    assert "This app was registered by the organization Acme, not by this site" in shown


def test_the_consent_page_says_which_org_registered_the_app(world: OAuthWorld) -> None:
    alice = person(world, "olga")
    browsing_member(world, org(world, alice))
    app = create(
        world, alice, confidential=False, scopes=["openid", "profile"], redirect_uris=[REDIRECT]
    )
    challenge = {"code_challenge": "x" * 43, "code_challenge_method": "S256"}
    asked = world.authorize(app["client_id"], scope="openid profile", **challenge)
    assert asked.status_code == 200, asked.get_data(as_text=True)
    page = asked.get_data(as_text=True)
    assert "This app was registered by the organization Acme, not by this site" in page
    service = world.register(name="The service's app")
    own = world.authorize(service["client_id"], **challenge).get_data(as_text=True)
    assert "registered by the organization" not in own


def test_an_orgs_app_exchanges_a_token_only_for_a_resource_the_person_consented_to(
    world: OAuthWorld,
) -> None:
    alice = person(world, "olga")
    browsing_member(world, org(world, alice))
    other = "https://reports.acme.example"
    for uri in (API, other):
        code, output = cli(
            world,
            "resources",
            "add",
            uri,
            "--scope",
            f"{uri[8:13]}:read",
            "--description",
            f"{uri[8:13]}:read",
            "Read",
        )
        assert code == 0, output
        code, output = cli(world, "resources", "allow", uri, "acme")
        assert code == 0, output
    service = world.register(
        "--org",
        "acme",
        "--confidential",
        "--grant",
        "token_exchange",
        "--resource",
        API,
        "--resource",
        other,
        name="Acme service",
    )
    person_token = world.tokens(service, resource=API)["access_token"]  # consented to API
    body = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": person_token,
        "subject_token_type": ACCESS_TOKEN,
        "resource": other,
    }
    refused = world.post_token(service, **body)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"
    assert "consented" in refused.get_json()["error_description"]
    world.tokens(service, resource=other)  # the person lets the app act at the other too
    answered = world.post_token(service, **body)
    assert answered.status_code == 200, answered.get_json()
    assert claims(world, answered.get_json()["access_token"])["aud"] == other
