"""The setup page a setup link opens, on the fakes, against pysaml2's own IdP: firegate's
values, the IdP's metadata pasted, the mapping, a test sign-in that shows the answer and
makes nothing, activation that spends the link; in English and Spanish; and the org page's
single sign-on section, where admins make links and switch connections
(docs/reference/sso.md, "Setup links"; docs/pages.md, "Single sign-on setup")."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from bootstrap.sso import SsoAdapters
from tests.fakes.org_domains import FakeTxtRecords
from tests.fakes.sso import FakeDocumentGetter, FakeSpentAssertions
from tests.support.admin_pages import browser, post
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.saml import idp_metadata
from tests.support.saml_idp import (
    ENTITY_ID,
    SSO_URL,
    KeyPair,
    SamlIdpForTests,
    key_pair,
    posted,
)
from tests.support.sso_world import draft_connection

pytestmark = pytest.mark.unit
CORP = "corp.example"


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    return key_pair()


@pytest.fixture
def world() -> World:
    return World()


def an_org_with_a_link(world: World, *, verified: bool = True) -> tuple[dict[str, str], str]:
    """Corp (its domain verified) and a setup link for a new SAML connection: (owner, token)."""
    client = world.client
    register(client, "olga")
    owner = bearer(login(client, "olga"))
    client.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner)
    if verified:
        record = client.post("/orgs/corp/domains", json={"domain": CORP}, headers=owner).get_json()
        txt = world.adapters.of(OrgsAdapters).txt
        assert isinstance(txt, FakeTxtRecords)
        txt.records[record["record"]["name"]] = [record["record"]["value"]]
        assert client.post(f"/orgs/corp/domains/{CORP}/verify", headers=owner).status_code == 200
    made = client.post("/orgs/corp/sso/setup-links", json={"kind": "saml"}, headers=owner)
    assert made.status_code == 201, made.get_json()
    token = parse_qs(urlsplit(made.get_json()["url"]).query)["token"][0]
    return owner, token


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def save(browser: FlaskClient, token: str, **fields: str) -> tuple[int, str]:
    page = browser.get(f"/sso/setup?token={token}").get_data(as_text=True)
    form = {"token": token, "csrf_token": csrf_of(page), **fields}
    answer = browser.post("/sso/setup", data=form)
    return answer.status_code, answer.get_data(as_text=True)


def configured(browser: FlaskClient, token: str, keys: KeyPair) -> None:
    status, html = save(
        browser,
        token,
        metadata_xml=idp_metadata(ENTITY_ID, SSO_URL, (keys.der,)),
        email="mail",
        groups="groups",
        roles="IT = admin\nStaff = member",
    )
    assert status == 200, html


def tried(browser: FlaskClient, token: str, keys: KeyPair, attributes: dict[str, list[str]]) -> Any:
    """The connection configured, then a test sign-in through pysaml2's IdP, whose answer
    (for ada@corp.example with ``attributes``) is posted to the ACS: the page answered."""
    cid = token.partition(".")[0]
    configured(browser, token, keys)
    started = browser.get(f"/sso/setup/test?token={token}")
    assert started.status_code == 303, started.get_data(as_text=True)
    metadata = browser.get(f"/sso/{cid}/saml/metadata").get_data(as_text=True)
    idp = SamlIdpForTests(metadata, keys=keys)
    request = idp.request_of(started.headers["Location"])
    answer = idp.response(
        in_response_to=request.message.id,
        destination=f"http://127.0.0.1:8000/sso/{cid}/saml/acs",
        audience=f"http://127.0.0.1:8000/sso/{cid}/saml/metadata",
        email="ada@corp.example",
        attributes=attributes,
    )
    return browser.post(f"/sso/{cid}/saml/acs", data={"SAMLResponse": posted(answer)})


def test_the_it_admin_reads_the_values_and_configures_the_idp(
    world: World, idp_keys: KeyPair
) -> None:
    _, token = an_org_with_a_link(world)
    cid = token.partition(".")[0]
    browser = world.app.test_client()  # no account, no session
    opened = browser.get(f"/sso/setup?token={token}")
    assert opened.status_code == 200
    html = opened.get_data(as_text=True)
    assert f"http://127.0.0.1:8000/sso/{cid}/saml/acs" in html
    assert f'href="http://127.0.0.1:8000/sso/{cid}/saml/metadata"' in html
    assert "Set up single sign-on for Corp" in html
    assert "Test sign-in" not in html  # nothing to test before the IdP is given
    # Bad input is said beside its field, the form refilled.
    status, refused = save(browser, token, metadata_xml="<nope/>", roles="IT = owner")
    assert status == 422
    assert 'id="idp-metadata_xml-error"' in refused
    status, refused = save(browser, token, roles="IT = owner")
    assert status == 422 and 'id="idp-roles-error"' in refused and "IT = owner" in refused
    configured(browser, token, idp_keys)
    page = text(browser.get(f"/sso/setup?token={token}").get_data(as_text=True))
    assert ENTITY_ID in page and "Expires on" in page and "Test sign-in" in page
    connection = world.adapters.of(SsoAdapters).connections.get(cid)
    assert connection is not None
    assert dict(connection.mapping.roles) == {"IT": ("admin",), "Staff": ("member",)}
    assert connection.mapping.email == "mail"
    # In Spanish.
    spanish = browser.get(f"/sso/setup?token={token}", headers={"Accept-Language": "es"})
    assert "Configurar el inicio de sesión único de Corp" in text(spanish.get_data(as_text=True))


def test_the_it_admin_gives_the_metadata_url_and_firegate_fetches_it(
    world: World, idp_keys: KeyPair
) -> None:
    _, token = an_org_with_a_link(world)
    getter = world.adapters.of(SsoAdapters).metadata_getter
    assert isinstance(getter, FakeDocumentGetter)
    url = "https://idp.corp.example/metadata"
    browser = world.app.test_client()
    status, refused = save(browser, token, metadata_url=url)  # nothing answers there yet
    assert status == 422 and 'id="idp-metadata_url-error"' in refused and url in refused
    status, refused = save(browser, token, metadata_url=url, metadata_xml="<x/>")
    assert status == 422 and 'id="idp-metadata_url-error"' in refused
    getter.documents[url] = idp_metadata(ENTITY_ID, SSO_URL, (idp_keys.der,))
    status, html = save(browser, token, metadata_url=url)
    assert status == 200, html
    page = text(html)
    assert ENTITY_ID in page and f"Metadata fetched from {url}" in page
    spanish = browser.get(f"/sso/setup?token={token}", headers={"Accept-Language": "es"})
    assert "Metadatos obtenidos de " + url in text(spanish.get_data(as_text=True))
    # Saving the mapping alone fetches nothing again.
    asked = len(getter.asked)
    status, _ = save(browser, token, email="mail")
    assert status == 200 and len(getter.asked) == asked


def test_a_test_sign_in_shows_the_answer_and_makes_nothing(world: World, idp_keys: KeyPair) -> None:
    owner, token = an_org_with_a_link(world)
    cid = token.partition(".")[0]
    browser = world.app.test_client()
    attributes = {"mail": ["ada@corp.example"], "givenName": ["Ada"], "groups": ["IT"]}
    shown = tried(browser, token, idp_keys, attributes)
    assert shown.status_code == 200, shown.get_data(as_text=True)
    html = shown.get_data(as_text=True)
    words = text(html)
    assert "ada@corp.example" in words and "Ada" in words and "admin" in words
    assert "A new account (without a password) would be made" in words
    assert "would join the organization with the roles: admin" in words
    assert f'href="/sso/setup?token={token}"' in html
    # Nothing was made: no account, no membership, no link, no session.
    assert world.adapters.of(AccountsAdapters).users.find_by_login("ada@corp.example") is None
    assert browser.get("/account").status_code != 200
    members = world.client.get("/orgs/corp/members", headers=owner).get_json()["items"]
    assert len(members) == 1
    # The assertion is spent all the same, and the connection is still a draft.
    spent = world.adapters.of(SsoAdapters).spent
    assert isinstance(spent, FakeSpentAssertions)
    assert [connection for connection, _ in spent.spent] == [cid]
    connection = world.adapters.of(SsoAdapters).connections.get(cid)
    assert connection is not None and connection.status.value == "draft"
    # A draft signs nobody in outside a test.
    assert browser.get(f"/sso/{cid}/saml").status_code == 404


def test_an_address_on_an_unverified_domain_is_said_to_prove_nothing(
    world: World, idp_keys: KeyPair
) -> None:
    _, token = an_org_with_a_link(world, verified=False)
    browser = world.app.test_client()
    shown = tried(browser, token, idp_keys, {"mail": ["ada@corp.example"]})
    assert shown.status_code == 200
    assert "is not on a verified domain" in text(shown.get_data(as_text=True))


def test_activating_spends_the_link(world: World, idp_keys: KeyPair) -> None:
    _, token = an_org_with_a_link(world)
    cid = token.partition(".")[0]
    browser = world.app.test_client()
    configured(browser, token, idp_keys)
    page = browser.get(f"/sso/setup?token={token}").get_data(as_text=True)
    done = browser.post("/sso/setup/activate", data={"token": token, "csrf_token": csrf_of(page)})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Corp's people now sign in through your identity provider" in text(
        done.get_data(as_text=True)
    )
    connection = world.adapters.of(SsoAdapters).connections.get(cid)
    assert connection is not None and connection.active and connection.setup is None
    assert browser.get(f"/sso/setup?token={token}").status_code == 400
    refused = browser.post(
        "/sso/setup/activate", data={"token": token, "csrf_token": csrf_of(page)}
    )
    assert refused.status_code == 400
    # Without the link's token, or with another's, nothing opens.
    assert browser.get("/sso/setup").status_code == 400
    assert browser.get(f"/sso/setup?token={cid}.forged").status_code == 400


def test_the_org_page_makes_links_and_switches_connections(world: World, idp_keys: KeyPair) -> None:
    olga = browser(world, "olga")
    status, _, _ = post(olga, "/account/orgs", "/account/orgs", slug="corp", name="Corp")
    assert status == 303
    section = "/account/orgs/corp/sso"
    page = olga.get(section).get_data(as_text=True)
    assert 'href="/account/orgs/corp/sso" aria-current="page"' in page
    assert "No connections yet." in page
    status, _, made = post(olga, section + "/setup-links", section, connection="new-saml")
    assert status == 201, made
    link = re.search(r'id="setup-link-url" type="text" readonly value="([^"]+)"', made)
    assert link is not None and "/sso/setup?token=" in link.group(1)
    token = unescape(link.group(1)).partition("token=")[2]
    cid = token.partition(".")[0]
    listed = olga.get(section).get_data(as_text=True)
    assert token not in listed  # shown once
    assert "Draft" in listed and "Setup link expires" in listed
    # Not complete yet: activating is refused beside the list.
    status, _, refused = post(olga, f"{section}/{cid}/status", section, status="active")
    assert status == 409 and "Give your identity provider&#39;s values first." in refused
    configured(world.app.test_client(), token, idp_keys)
    status, location, _ = post(olga, f"{section}/{cid}/status", section, status="active")
    assert (status, location) == (303, f"{section}?done=connection-active")
    shown = olga.get(location).get_data(as_text=True)
    assert "The connection is active" in shown and "Certificates expire:" in shown
    assert world.app.test_client().get(f"/sso/setup?token={token}").status_code == 400
    status, location, _ = post(olga, f"{section}/{cid}/status", section, status="inactive")
    assert location == f"{section}?done=connection-inactive"
    # An admin sees the connections and may switch one off, but neither activates one nor
    # makes a setup link: the identity provider is the owners' to decide.
    ada = browser(world, "ada")
    world.services.of(OrgServices).members.add_member(AddMember("corp", "ada", ("admin",)))
    seen = ada.get(section).get_data(as_text=True)
    assert "Only the organization's owners set up and activate connections." in seen
    assert "Make the link" not in seen and ">Activate<" not in seen
    status, _, _ = post(ada, section + "/setup-links", section, connection="new-oidc")
    assert status == 403
    status, _, _ = post(ada, f"{section}/{cid}/status", section, status="active")
    assert status == 403
    # A member sees no such section.
    bob = browser(world, "bob")
    world.services.of(OrgServices).members.add_member(AddMember("corp", "bob", ("member",)))
    assert 'href="/account/orgs/corp/sso"' not in bob.get("/account/orgs/corp").get_data(
        as_text=True
    )
    assert bob.get(section).status_code == 403


def test_a_test_sign_in_is_bound_to_its_link_and_tells_of_a_proven_account(
    world: World, idp_keys: KeyPair
) -> None:
    owner, token = an_org_with_a_link(world)
    cid = token.partition(".")[0]
    # An account that proved the address and signs in with a password: the test says its
    # holder would be asked to connect it, and links nothing.
    register(world.client, "ada", email="ada@corp.example")
    users = world.adapters.of(AccountsAdapters).users
    ada = users.find_by_login("ada@corp.example")
    assert ada is not None
    users.update(ada.id, lambda user: user.with_email_verified(world.clock.now()))
    shown = tried(world.app.test_client(), token, idp_keys, {"mail": ["ada@corp.example"]})
    assert shown.status_code == 200
    said = text(shown.get_data(as_text=True))
    assert "its holder would be asked to sign in to it to connect this identity" in said
    assert world.adapters.of(AccountsAdapters).identities.list_for(ada.id) == []
    org = world.adapters.of(OrgsAdapters).orgs.find("corp")
    assert (
        org is not None and world.adapters.of(OrgsAdapters).orgs.membership(org.id, ada.id) is None
    )
    # A link ended while the browser is at the IdP: its answer is refused, nothing shown.
    browser = world.app.test_client()
    started = browser.get(f"/sso/setup/test?token={token}")
    assert started.status_code == 303
    world.client.post("/orgs/corp/sso/setup-links", json={"connection": cid}, headers=owner)
    metadata = browser.get(f"/sso/{cid}/saml/metadata").get_data(as_text=True)
    idp = SamlIdpForTests(metadata, keys=idp_keys)
    answer = idp.response(
        in_response_to=idp.request_of(started.headers["Location"]).message.id,
        destination=f"http://127.0.0.1:8000/sso/{cid}/saml/acs",
        audience=f"http://127.0.0.1:8000/sso/{cid}/saml/metadata",
        email="ada@corp.example",
    )
    refused = browser.post(f"/sso/{cid}/saml/acs", data={"SAMLResponse": posted(answer)})
    assert refused.status_code == 400


def test_a_forged_post_with_the_link_but_no_form_token_changes_nothing(
    world: World, idp_keys: KeyPair
) -> None:
    """Another site cannot make a visitor's browser save or activate through a link it knows:
    the setup page's forms need the page's own CSRF token."""
    _, token = an_org_with_a_link(world)
    cid = token.partition(".")[0]
    configured(world.app.test_client(), token, idp_keys)
    before = world.adapters.of(SsoAdapters).connections.get(cid)
    forger = world.app.test_client()
    saved = forger.post("/sso/setup", data={"token": token, "name": "Forged"})
    activated = forger.post("/sso/setup/activate", data={"token": token})
    assert saved.status_code == 403 and activated.status_code == 403
    assert world.adapters.of(SsoAdapters).connections.get(cid) == before


def test_owners_require_single_sign_on_on_the_org_page(world: World, idp_keys: KeyPair) -> None:
    """The page's side of PATCH /orgs/{org} ``require_sso``: refused without an active
    connection, saved with one; the owner who saves keeps or drops their own break-glass
    place and the other owners' stay; an admin is not offered the form and is refused."""
    olga = browser(world, "olga")
    assert post(olga, "/account/orgs", "/account/orgs", slug="corp", name="Corp")[0] == 303
    section = "/account/orgs/corp/sso"
    page = olga.get(section).get_data(as_text=True)
    assert "Require single sign-on" in page and 'name="require_sso"' in page
    status, _, refused = post(olga, section + "/policy", section, require_sso="true")
    assert status == 409, refused
    assert "Activate a single sign-on connection before requiring it." in text(refused)
    org = world.adapters.of(OrgsAdapters).orgs.find("corp")
    assert org is not None and not org.require_sso
    # An active connection, and a second owner already break-glass (through the API).
    made = post(olga, section + "/setup-links", section, connection="new-saml")[2]
    link = re.search(r'id="setup-link-url" type="text" readonly value="([^"]+)"', made)
    assert link is not None
    token = unescape(link.group(1)).partition("token=")[2]
    configured(world.app.test_client(), token, idp_keys)
    cid = token.partition(".")[0]
    assert post(olga, f"{section}/{cid}/status", section, status="active")[0] == 303
    browser(world, "otto")
    world.services.of(OrgServices).members.add_member(AddMember("corp", "otto", ("owner",)))
    users = world.adapters.of(AccountsAdapters).users
    otto_id = users.find_by_login("otto")
    olga_id = users.find_by_login("olga")
    assert otto_id is not None and olga_id is not None
    orgs = world.adapters.of(OrgsAdapters).orgs
    orgs.update(org.id, lambda o: replace(o, sso_break_glass=(otto_id.id,)))
    status, location, _ = post(
        olga, section + "/policy", section, require_sso="true", break_glass="true"
    )
    assert (status, location) == (303, f"{section}?done=sso-policy")
    saved = orgs.find("corp")
    assert saved is not None and saved.require_sso
    assert set(saved.sso_break_glass) == {otto_id.id, olga_id.id}
    shown = olga.get(location).get_data(as_text=True)
    assert "The single sign-on policy is saved." in shown
    assert 'name="require_sso" value="true" checked' in shown
    assert "Other owners keeping it: 1." in text(shown)
    # Olga gives up her own place: Otto keeps his.
    post(olga, section + "/policy", section, require_sso="true")
    kept = orgs.find("corp")
    assert kept is not None and kept.require_sso and kept.sso_break_glass == (otto_id.id,)
    page = olga.get(section).get_data(as_text=True)
    assert 'name="break_glass" value="true" aria-describedby="break-glass-hint">' in page
    # An admin manages connections but not this policy.
    ada = browser(world, "ada")
    world.services.of(OrgServices).members.add_member(AddMember("corp", "ada", ("admin",)))
    assert 'name="require_sso"' not in ada.get(section).get_data(as_text=True)
    status, _, _ = post(ada, section + "/policy", section)
    assert status == 403
    still = orgs.find("corp")
    assert still is not None and still.require_sso
    # The Spanish page.
    spanish = olga.get(section, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Exigir el inicio de sesión único" in spanish


def test_an_active_connections_link_saves_a_draft_the_page_applies_or_discards(
    world: World, idp_keys: KeyPair
) -> None:
    """A setup link for an active connection (docs/pages.md, "Single sign-on setup"): saving
    makes a draft, the live values untouched; "Discard the draft" drops it, and a second
    discard is told the draft is gone (409 on the page); "Apply" swaps a draft in."""
    owner, token = an_org_with_a_link(world)
    cid = token.partition(".")[0]
    browser = world.app.test_client()
    configured(browser, token, idp_keys)
    page = browser.get(f"/sso/setup?token={token}").get_data(as_text=True)
    form = {"token": token, "csrf_token": csrf_of(page)}
    assert browser.post("/sso/setup/activate", data=form).status_code == 200
    again = world.client.post("/orgs/corp/sso/setup-links", json={"connection": cid}, headers=owner)
    token = parse_qs(urlsplit(again.get_json()["url"]).query)["token"][0]
    opened = text(browser.get(f"/sso/setup?token={token}").get_data(as_text=True))
    assert "This connection is active" in opened and "Save a change above" in opened
    rotated = key_pair()
    status, html = save(
        browser, token, metadata_xml=idp_metadata(ENTITY_ID, SSO_URL, (rotated.der,))
    )
    assert status == 200 and "Saved as a draft" in text(html)
    live = world.adapters.of(SsoAdapters).connections.get(cid)
    assert live is not None and [c.der for c in live.saml.certificates] == [idp_keys.der]
    assert live.draft is not None and [c.der for c in live.draft.saml.certificates] == [rotated.der]
    form = {"token": token, "csrf_token": csrf_of(html)}
    discarded = browser.post("/sso/setup/discard", data=form)
    assert discarded.status_code == 200 and "The draft was discarded" in text(discarded.text)
    gone = browser.post("/sso/setup/discard", data=form)
    assert gone.status_code == 409 and "no draft" in text(gone.text)
    status, html = save(
        browser, token, metadata_xml=idp_metadata(ENTITY_ID, SSO_URL, (rotated.der,))
    )
    applied = browser.post("/sso/setup/apply", data=form)
    assert applied.status_code == 200 and "Applied" in text(applied.text)
    live = world.adapters.of(SsoAdapters).connections.get(cid)
    assert live is not None and live.draft is None
    assert [c.der for c in live.saml.certificates] == [rotated.der]


def test_an_openid_connections_link_names_its_ssf_transmitter() -> None:
    """The OpenID form's optional SSF configuration URL: set, shown back, a bad one refused
    beside its field, emptied to remove it (docs/reference/ssf-receiver.md)."""
    world, alice, cid = draft_connection("oidc", local=True)
    made = world.client.post("/orgs/acme/sso/setup-links", json={"connection": cid}, headers=alice)
    assert made.status_code == 201, made.get_json()
    token = parse_qs(urlsplit(made.get_json()["url"]).query)["token"][0]
    browser = world.app.test_client()  # no account
    opened = browser.get(f"/sso/setup?token={token}").get_data(as_text=True)
    assert "Shared Signals configuration URL (optional)" in opened
    assert 'name="ssf_configuration_url" type="url" autocomplete="off" value=""' in opened

    def stored() -> str:
        connection = world.adapters.of(SsoAdapters).connections.get(cid)
        assert connection is not None
        return connection.oidc.ssf_configuration_url

    bad = "http://idp.example.com/.well-known/ssf-configuration"  # https only
    status, refused = save(browser, token, ssf_configuration_url=bad)
    assert status == 422
    assert 'id="idp-ssf_configuration_url-error"' in refused
    assert f'value="{bad}" aria-describedby="idp-ssf_configuration_url-hint' in refused
    assert stored() == ""
    ssf = "https://idp.example.com/.well-known/ssf-configuration"
    status, html = save(browser, token, ssf_configuration_url=f" {ssf} ", email="mail")
    assert status == 200, html
    assert stored() == ssf
    shown = browser.get(f"/sso/setup?token={token}").get_data(as_text=True)
    assert f'name="ssf_configuration_url" type="url" autocomplete="off" value="{ssf}"' in shown
    # Saved without the field (an older form), it is kept; emptied, it is removed.
    assert save(browser, token, email="mail")[0] == 200 and stored() == ssf
    assert save(browser, token, ssf_configuration_url="")[0] == 200 and stored() == ""
    # In Spanish.
    spanish = browser.get(f"/sso/setup?token={token}", headers={"Accept-Language": "es"})
    assert "URL de configuración de Shared Signals (opcional)" in text(
        spanish.get_data(as_text=True)
    )
