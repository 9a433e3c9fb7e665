"""An org with a SCIM token, made over HTTP the way its admin makes one, for the SCIM tests
(docs/reference/scim.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from bootstrap.orgs import OrgsAdapters
from domain.orgs.domains import OrgDomain
from tests.support.api import bearer, login, register
from tests.support.app import NEW, World

SCIM_JSON = "application/scim+json"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USERS = "/scim/v2/Users"
GROUPS = "/scim/v2/Groups"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass(frozen=True)
class Directory:
    """An org's admin (``alice``) and the SCIM token its directory holds."""

    org_id: str
    admin: dict[str, str]
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.token)


def directory(
    client: FlaskClient, slug: str = "acme", admin: str = "alice", *, signed_up: bool = True
) -> Directory:
    """An org with a SCIM token, made by ``admin`` (who signs up first unless ``signed_up``
    is False: an account made past the sign-up rule)."""
    if signed_up:
        register(client, admin)
    auth = bearer(login(client, admin))
    made = client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=auth)
    assert made.status_code == 201, made.get_json()
    org_id: str = made.get_json()["id"]
    token = client.post(f"/orgs/{slug}/scim/tokens", json={"name": "Okta"}, headers=auth)
    assert token.status_code == 201, token.get_json()
    return Directory(org_id, auth, token.get_json()["token"])


USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def user_body(user_name: str, email: str | None = None, **extra: object) -> dict[str, object]:
    """A SCIM User as a directory creates one: the address also its work e-mail."""
    address = email or (user_name if "@" in user_name else None)
    body: dict[str, object] = {"schemas": [USER], "userName": user_name, "active": True}
    if address:
        body["emails"] = [{"value": address, "type": "work", "primary": True}]
    return {**body, **extra}


def patch_body(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def signed_in_by_reset(world: World, address: str, username: str) -> dict[str, str]:
    """The provisioned person sets a password by a reset and signs in: their token pair."""
    world.client.post("/auth/password/forgot", json={"email": address})
    world.deliver()
    assert world.reset(world.token(address, "/reset-password")) == 204
    answer = world.client.post("/login", json={"username": username, "password": NEW})
    assert answer.status_code == 200, answer.get_json()
    tokens: dict[str, str] = answer.get_json()
    return tokens


def active(world: World, acme: Directory, user_id: str, value: bool) -> None:
    body = patch_body({"op": "replace", "path": "active", "value": value})
    answer = world.client.patch(f"{USERS}/{user_id}", json=body, headers=acme.auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)


def verified(world: World, org_id: str, name: str = "example.com") -> None:
    """The org has verified the domain ``name``."""
    domains: Any = world.adapters.of(OrgsAdapters).domains
    now = world.clock.now()
    domain = OrgDomain.create(org_id, name, "alice", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))


def provisioned(world: World, acme: Directory, user_name: str) -> str:
    """The id of the user the org's directory creates with ``user_name``."""
    made = world.client.post(USERS, json=user_body(user_name), headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    user_id: str = made.get_json(force=True)["id"]
    return user_id


def group(client: FlaskClient, acme: Directory, name: str, *members: str) -> dict[str, Any]:
    """The group the org's directory creates as ``name`` with ``members`` (user ids)."""
    body = {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in members]}
    made = client.post(GROUPS, json=body, headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    created: dict[str, Any] = made.get_json(force=True)
    return created


def roles(client: FlaskClient, acme: Directory, slug: str = "acme") -> dict[str, list[str]]:
    """Each member's roles, by user id, as the org's admin reads them."""
    url = f"/orgs/{slug}/members?limit=100"
    items = client.get(url, headers=acme.admin).get_json()["items"]
    return {m["user_id"]: m["roles"] for m in items}


def set_roles(client: FlaskClient, acme: Directory, user_id: str, *given: str) -> list[str]:
    """The org's admin sets ``given`` as the member's roles by hand: the roles they then hold."""
    url = f"/orgs/acme/members/{user_id}"
    answer = client.patch(url, json={"roles": list(given)}, headers=acme.admin)
    assert answer.status_code == 200, answer.get_json()
    held: list[str] = answer.get_json()["roles"]
    return held
