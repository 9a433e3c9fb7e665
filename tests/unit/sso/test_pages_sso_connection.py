"""One connection on the single sign-on section of an org's page, on the fakes (docs/pages.md,
"Organizations"; docs/reference/sso.md, "Connections"): its admins read its identity
provider's values (never the secret), the mapping and the addresses to hand out, rename it,
and delete it once confirmed; its owners switch IdP-initiated sign-in on and off."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.sso.services import SsoServices
from bootstrap.orgs import OrgsAdapters
from bootstrap.sso import SsoAdapters
from domain.sso.connections import Connection
from tests.support.admin_pages import browser, org_owner, post
from tests.support.api import bearer, login
from tests.support.app import World
from tests.support.saml import certificate, idp_metadata

pytestmark = pytest.mark.unit

SSO = "/account/orgs/acme/sso"
ROLES = {"IT": ["admin"]}


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def olga(world: World) -> FlaskClient:
    return org_owner(world)


def made(world: World, body: dict[str, object]) -> str:
    """A connection of acme made through the API by olga: its id."""
    owner = bearer(login(world.client, "olga"))
    answer = world.client.post("/orgs/acme/connections", json=body, headers=owner)
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["id"])


def saml_connection(world: World) -> str:
    _, der = certificate("idp.acme.example")
    xml = idp_metadata("https://idp.acme.example/m", "https://idp.acme.example/sso", (der,))
    mapping = {"groups": "memberOf", "roles": ROLES}
    return made(
        world,
        {"kind": "saml", "name": "Okta", "saml": {"metadata_xml": xml}, "mapping": mapping},
    )


def stored(world: World, connection_id: str) -> Connection | None:
    org = world.adapters.of(OrgsAdapters).orgs.find("acme")
    assert org is not None
    found = world.adapters.of(SsoAdapters).connections.get(connection_id)
    return found if found is not None and found.org_id == org.id else None


def test_the_list_links_each_connection_to_its_view(world: World, olga: FlaskClient) -> None:
    cid = saml_connection(world)
    assert f'href="{SSO}/{cid}">Okta</a>' in olga.get(SSO).get_data(as_text=True)


def test_a_saml_connection_shows_the_idp_the_mapping_and_the_addresses(
    world: World, olga: FlaskClient
) -> None:
    cid = saml_connection(world)
    page = olga.get(f"{SSO}/{cid}").get_data(as_text=True)
    assert '<h2 id="connection-heading">Okta</h2>' in page
    assert "https://idp.acme.example/m" in page and "https://idp.acme.example/sso" in page
    assert "CN=idp.acme.example" in page  # the certificate's subject
    assert "memberOf" in page and "IT = admin" in page
    sp = world.services.of(SsoServices).connections.addresses(cid)
    assert f'<code id="acs-url">{sp.acs_url}</code>' in page and sp.acs_url.endswith("/saml/acs")
    start = sp.acs_url.removesuffix("/acs")  # /sso/{id}/saml, where a sign-in starts
    assert f'<code id="sign-in-url">{start}</code>' in page
    assert 'name="allow_idp_initiated" value="true">' in page  # off, an owner's switch


def test_an_openid_connection_shows_its_issuer_never_its_secret(
    world: World, olga: FlaskClient
) -> None:
    ssf = "https://login.acme.example/.well-known/ssf-configuration"
    oidc = {
        "issuer": "https://login.acme.example",
        "client_id": "fg-1",
        "client_secret": "s3cr3t",
        "ssf_configuration_url": ssf,
    }
    cid = made(world, {"kind": "oidc", "name": "Entra", "oidc": oidc})
    page = olga.get(f"{SSO}/{cid}").get_data(as_text=True)
    assert "https://login.acme.example" in page and "fg-1" in page
    assert f'<dd id="idp-ssf">{ssf}</dd>' in page  # its SSF transmitter
    assert "s3cr3t" not in page and "Set (never shown)" in page
    sp = world.services.of(SsoServices).connections.addresses(cid)
    assert f'<code id="redirect-uri">{sp.redirect_uri}</code>' in page
    start = sp.redirect_uri.removesuffix("/callback")  # /sso/{id}/oidc
    assert f'<code id="sign-in-url">{start}</code>' in page
    assert "allow_idp_initiated" not in page  # SAML's alone


def test_an_admin_renames_a_connection(world: World, olga: FlaskClient) -> None:
    cid = saml_connection(world)
    view = f"{SSO}/{cid}"
    status, location, _ = post(olga, f"{view}/name", view, name="Okta (staff)")
    assert (status, location) == (303, f"{view}?done=connection-renamed")
    assert "The connection is renamed." in olga.get(location).get_data(as_text=True)
    connection = stored(world, cid)
    assert connection is not None and connection.name == "Okta (staff)"
    status, _, body = post(olga, f"{view}/name", view, name=" ")
    assert status == 422 and 'id="connection-name-name-error" role="alert"' in body


def test_an_owner_switches_idp_initiated_sign_in(world: World, olga: FlaskClient) -> None:
    cid = saml_connection(world)
    view = f"{SSO}/{cid}"
    status, location, _ = post(olga, f"{view}/idp-initiated", view, allow_idp_initiated="true")
    assert (status, location) == (303, f"{view}?done=idp-initiated-on")
    connection = stored(world, cid)
    assert connection is not None and connection.saml.allow_idp_initiated
    page = olga.get(location).get_data(as_text=True)
    assert 'name="allow_idp_initiated" value="true" checked>' in page
    assert "Sign-ins begun at the identity provider are accepted." in page
    status, location, _ = post(olga, f"{view}/idp-initiated", view)
    assert location == f"{view}?done=idp-initiated-off"
    connection = stored(world, cid)
    assert connection is not None and not connection.saml.allow_idp_initiated


def test_an_admin_reads_the_switch_but_cannot_change_it(world: World, olga: FlaskClient) -> None:
    cid = saml_connection(world)
    adam = browser(world, "adam")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "adam", ("admin",)))
    view = f"{SSO}/{cid}"
    page = adam.get(view).get_data(as_text=True)
    assert "Only the organization's owners change it. It is off." in page
    status, _, _ = post(adam, f"{view}/idp-initiated", view, allow_idp_initiated="true")
    assert status == 403
    connection = stored(world, cid)
    assert connection is not None and not connection.saml.allow_idp_initiated


def test_a_connection_is_deleted_once_confirmed(world: World, olga: FlaskClient) -> None:
    cid = saml_connection(world)
    view = f"{SSO}/{cid}"
    question = olga.get(f"{view}/delete").get_data(as_text=True)
    assert "Delete Okta?" in question and f'action="{view}/delete"' in question
    assert stored(world, cid) is not None  # asking deletes nothing
    status, location, _ = post(olga, f"{view}/delete", f"{view}/delete")
    assert (status, location) == (303, f"{SSO}?done=connection-deleted")
    assert stored(world, cid) is None
    assert "The connection is deleted" in olga.get(location).get_data(as_text=True)
    assert olga.get(view).status_code == 404


def test_another_orgs_connection_is_not_found(world: World, olga: FlaskClient) -> None:
    cid = saml_connection(world)
    other = org_owner(world, "otto", "other")
    assert other.get(f"/account/orgs/other/sso/{cid}").status_code == 404
    status, _, _ = post(other, f"/account/orgs/other/sso/{cid}/delete", "/account/orgs/other/sso")
    assert status == 404
    assert stored(world, cid) is not None
