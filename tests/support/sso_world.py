"""An org ready for single sign-on on the fakes (docs/reference/sso.md): its owner, a verified
domain, and an active connection of either kind, with the IdP a test signs people in at: a
SAML one (pysaml2's own IdP, tests/support/saml_idp.py) or an OpenID one
(tests/support/oidc_idp.py). Both harnesses sign a person in the same way (``sign_in``), so
that what every connection does is tested once for both kinds."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from application.ports import Audit
from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from tests.fakes.org_domains import FakeTxtRecords
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.oidc_idp import CLIENT_ID, CLIENT_SECRET, OidcIdpForTests, oidc_idp
from tests.support.saml_idp import ENTITY_ID, SSO_URL, KeyPair, SamlIdpForTests, posted
from tests.support.settings import PRODUCTION_SETTINGS

CORP = "corp.example"  # the org's verified domain
LANDING = "/account/orgs"  # where each round trip asks to go next
GROUPS_TO_ROLES = {"IT": ["admin"], "Staff": ["member"]}


def verified_org(world: World, slug: str, domain: str) -> tuple[str, dict[str, str]]:
    """A new org of a new owner ("olga") with ``domain`` verified (its TXT record planted in
    the fake zone): the org's id and the owner's bearer headers."""
    client = world.client
    register(client, "olga")
    owner = bearer(login(client, "olga"))
    org = client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=owner)
    assert org.status_code == 201, org.get_json()
    record = client.post(f"/orgs/{slug}/domains", json={"domain": domain}, headers=owner)
    txt = world.adapters.of(OrgsAdapters).txt
    assert isinstance(txt, FakeTxtRecords)
    txt.records[record.get_json()["record"]["name"]] = [record.get_json()["record"]["value"]]
    verified = client.post(f"/orgs/{slug}/domains/{domain}/verify", headers=owner)
    assert verified.status_code == 200, verified.get_json()
    return str(org.get_json()["id"]), owner


def draft_connection(kind: str, *, local: bool = False) -> tuple[World, dict[str, str], str]:
    """A new world, in production unless ``local`` (the local profile checks no IdP's address,
    as for webhooks), with alice's org "acme" and a draft connection of ``kind``: the world,
    alice's bearer headers and the connection's id."""
    world = World() if local else World(**PRODUCTION_SETTINGS)
    register(world.client, "alice")
    alice = bearer(login(world.client, "alice"))
    made = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=alice)
    assert made.status_code == 201, made.get_json()
    created = world.client.post(
        "/orgs/acme/connections", json={"kind": kind, "name": "Corp IdP"}, headers=alice
    )
    assert created.status_code == 201, created.get_json()
    return world, alice, str(created.get_json()["id"])


def active_connection(
    world: World, slug: str, owner: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    """A connection of the org made with ``body`` and switched on: as the API answers it."""
    made = world.client.post(
        f"/orgs/{slug}/connections", json={**body, "status": "active"}, headers=owner
    )
    assert made.status_code == 201, made.get_json()
    connection: dict[str, Any] = made.get_json()
    return connection


@dataclass
class SsoHarness:
    """The org "corp" (``CORP`` verified) with one active connection, on the fakes. Each
    kind's harness signs a person in with ``sign_in(client, email, groups)``: a browser's
    round trip through the IdP for a person of this address (their subject is theirs
    alone), given name Ada, family name Lovelace, in ``groups``."""

    world: World
    org_id: str
    connection: dict[str, Any]
    owner: dict[str, str]

    @property
    def cid(self) -> str:
        return str(self.connection["id"])

    def member_roles(self, user_id: str) -> tuple[str, ...] | None:
        found = self.world.adapters.of(OrgsAdapters).orgs.membership(self.org_id, user_id)
        return found.roles if found is not None else None

    def user_of(self, email: str) -> Any:
        return self.world.adapters.of(AccountsAdapters).users.find_by_login(email)


@dataclass
class SamlSso(SsoHarness):
    idp: SamlIdpForTests

    def sign_in(self, client: FlaskClient, email: str, groups: tuple[str, ...] = ()) -> Any:
        return self.sign_in_with(client, email, {}, groups)

    def sign_in_with(
        self,
        client: FlaskClient,
        email: str,
        more: Mapping[str, list[str]],
        groups: tuple[str, ...] = (),
    ) -> Any:
        """The round trip with the attributes ``more`` besides the person's own."""
        start = client.get(f"/sso/{self.cid}/saml?next={LANDING}")
        assert start.status_code == 303, start.get_data(as_text=True)
        request = self.idp.request_of(start.headers["Location"])
        return self.post(client, self.response(request.message.id, email, groups, more))

    def response(
        self,
        request_id: str | None,
        email: str,
        groups: tuple[str, ...] = (),
        more: Mapping[str, list[str]] | None = None,
    ) -> str:
        saml = self.connection["saml"]
        attributes = {"mail": [email], "givenName": ["Ada"], "sn": ["Lovelace"], **(more or {})}
        if groups:
            attributes["groups"] = list(groups)
        return self.idp.response(
            in_response_to=request_id,
            destination=saml["acs_url"],
            audience=saml["sp_entity_id"],
            email=email,
            attributes=attributes,
        )

    def post(self, client: FlaskClient, xml: str) -> Any:
        return client.post(f"/sso/{self.cid}/saml/acs", data={"SAMLResponse": posted(xml)})


@dataclass
class OidcSso(SsoHarness):
    idp: OidcIdpForTests

    def start(self, client: FlaskClient) -> str:
        """The browser sent to the IdP: the authorization request's address."""
        started = client.get(f"/sso/{self.cid}/oidc?next={LANDING}")
        assert started.status_code == 303, started.get_data(as_text=True)
        return str(started.headers["Location"])

    def back(self, client: FlaskClient, callback: str) -> Any:
        """The browser back from the IdP at the callback address it was given."""
        parts = urlsplit(callback)
        return client.get(parts.path + "?" + parts.query)

    def sign_in(self, client: FlaskClient, email: str, groups: tuple[str, ...] = ()) -> Any:
        return self.sign_in_with(client, email, groups=list(groups))

    def sign_in_with(self, client: FlaskClient, email: str, **claims: Any) -> Any:
        """The round trip with an ID token of these claims besides the person's own."""
        location = self.start(client)
        person = {
            "sub": "sub-" + email,
            "email": email,
            "given_name": "Ada",
            "family_name": "Lovelace",
            **claims,
        }
        return self.back(client, self.idp.authorize(location, person))


def corp_connection(
    kind: str, idp: dict[str, Any], mapping: dict[str, Any], **settings: object
) -> SsoHarness:
    """A new world (of ``settings``) with the org "corp" (``CORP`` verified) and its active
    connection "Corp IdP" of ``kind``, its IdP (``saml`` or ``oidc`` fields) and ``mapping``
    as given."""
    world = World(**settings)
    org_id, owner = verified_org(world, "corp", CORP)
    body = {"kind": kind, "name": "Corp IdP", kind: idp, "mapping": mapping}
    return SsoHarness(world, org_id, active_connection(world, "corp", owner, body), owner)


def saml_sso(keys: KeyPair, **settings: object) -> SamlSso:
    corp = corp_connection(
        "saml",
        {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "certificates": [keys.der]},
        {"email": "mail", "groups": "groups", "roles": GROUPS_TO_ROLES},
        **settings,
    )
    metadata = corp.world.client.get(f"/sso/{corp.cid}/saml/metadata").get_data(as_text=True)
    idp = SamlIdpForTests(metadata, keys=keys)
    return SamlSso(corp.world, corp.org_id, corp.connection, corp.owner, idp)


@contextlib.contextmanager
def oidc_sso(**settings: object) -> Iterator[OidcSso]:
    with oidc_idp() as idp:
        corp = corp_connection(
            "oidc",
            {"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            {"groups": "groups", "roles": GROUPS_TO_ROLES},
            **settings,
        )
        yield OidcSso(corp.world, corp.org_id, corp.connection, corp.owner, idp)


def signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def proven_account(world: World, username: str, email: str) -> Any:
    """A new account (password sign-up) whose address is proven: the user."""
    register(world.client, username, email=email)
    users = world.adapters.of(AccountsAdapters).users
    user = users.find_by_login(email)
    assert user is not None
    return users.update(user.id, lambda u: u.with_email_verified(u.updated_at))


def told_of_new_way_in(world: World, user_id: str) -> bool:
    """Whether the last identity linked was to this account, as a way in its owner is told
    of (the notice names what was added)."""
    added = [e for e in world.audit.events if e.event is Audit.IDENTITY_LINKED]
    return bool(added) and added[-1].user_id == user_id and added[-1].added is not None
