"""An org admin's test sign-in from the connection's own page, on the fakes, against
pysaml2's own IdP and a stand-in OpenID provider (docs/reference/sso.md, "Test sign-in";
docs/decisions/0469-the-admins-test-sign-in.md): the answer shown with what a sign-in would
do, nothing made; the connection as it is, or its draft; a member refused; the trial bound
to the admin and the org, checked again when the answer comes back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap.accounts import AccountsAdapters
from tests.support.admin_pages import browser
from tests.support.api import PASSWORD
from tests.support.pages import csrf
from tests.support.saml_idp import KeyPair, key_pair
from tests.support.sso_world import OidcSso, SamlSso, oidc_sso, saml_sso, signed_in

pytestmark = pytest.mark.unit
SECTION = "/account/orgs/corp/sso"
IDA = {"sub": "sub-ida", "email": "ida@corp.example", "given_name": "Ida", "groups": ["IT"]}


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return key_pair()


@pytest.fixture
def saml(keys: KeyPair) -> SamlSso:
    return saml_sso(keys)


@pytest.fixture
def oidc() -> Iterator[OidcSso]:
    with oidc_sso() as found:
        yield found


def owner_browser(sso: SamlSso | OidcSso) -> FlaskClient:
    """The org's owner ("olga", made through the API) signed in on the pages."""
    client = sso.world.app.test_client()
    form = {"username": "olga", "password": PASSWORD, "csrf_token": csrf(client, "/sign-in")}
    assert client.post("/sign-in", data=form).status_code == 303
    return client


def member_browser(sso: SamlSso | OidcSso, name: str, role: str) -> FlaskClient:
    client = browser(sso.world, name)
    sso.world.services.of(OrgServices).members.add_member(AddMember("corp", name, (role,)))
    return client


def start_test(client: FlaskClient, cid: str) -> Any:
    """The connection page's "Test sign-in" posted with its form token."""
    view = f"{SECTION}/{cid}"
    return client.post(f"{view}/test", data={"csrf_token": csrf(client, view)})


def to_the_idp(client: FlaskClient, cid: str) -> str:
    """The test started: the page that goes on to the IdP by itself; the IdP's address."""
    return started(client, cid)[0]


def started(client: FlaskClient, cid: str) -> tuple[str, str, str]:
    """The test started: the IdP's address the page goes on to by itself, and the flight
    cookie it set (its name and value)."""
    answer = start_test(client, cid)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    refresh = answer.headers["Refresh"]
    assert refresh.startswith("0; url=")
    url = refresh.removeprefix("0; url=")
    assert f'href="{url.replace("&", "&amp;")}"' in answer.get_data(as_text=True)
    set_cookie = answer.headers.get("Set-Cookie", "")
    name, _, rest = set_cookie.partition("=")
    return url, name, rest.partition(";")[0]


def saml_answer(saml: SamlSso, location: str, email: str) -> str:
    return saml.response(saml.idp.request_of(location).message.id, email, ("IT",))


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_offers_the_test_to_admins(saml: SamlSso) -> None:
    olga = owner_browser(saml)
    page = olga.get(f"{SECTION}/{saml.cid}").get_data(as_text=True)
    assert f'action="{SECTION}/{saml.cid}/test"' in page
    assert "It tries the connection as it is." in page


def test_an_admins_saml_test_shows_the_answer_and_makes_nothing(saml: SamlSso) -> None:
    ada = member_browser(saml, "ada", "admin")  # an admin, not an owner
    location = to_the_idp(ada, saml.cid)
    shown = saml.post(ada, saml_answer(saml, location, "ivy@corp.example"))
    assert shown.status_code == 200, shown.get_data(as_text=True)
    said = text(shown.get_data(as_text=True))
    assert "Nothing was created and nobody is signed in." in said
    assert "This test tried the connection as it is." in said
    assert "A new account (without a password) would be made" in said
    assert "would join the organization with the roles: admin" in said
    assert f'href="{SECTION}/{saml.cid}">Back to the connection</a>' in shown.get_data(as_text=True)
    assert saml.user_of("ivy@corp.example") is None
    members = saml.world.client.get("/orgs/corp/members", headers=saml.owner).get_json()
    assert len(members["items"]) == 2  # olga and ada
    assert signed_in(ada)  # still the admin's own session, and no other


def test_the_test_tries_the_draft_when_one_is_saved(saml: SamlSso) -> None:
    made = saml.world.client.post(
        "/orgs/corp/sso/setup-links", json={"connection": saml.cid}, headers=saml.owner
    )
    assert made.status_code == 201, made.get_json()
    token = made.get_json()["url"].partition("token=")[2]
    it_admin = saml.world.app.test_client()
    form = {
        "token": token,
        "csrf_token": csrf(it_admin, f"/sso/setup?token={token}"),
        "email": "mail",
        "groups": "groups",
        "roles": "IT = member",
    }
    assert it_admin.post("/sso/setup", data=form).status_code == 200
    olga = owner_browser(saml)
    page = olga.get(f"{SECTION}/{saml.cid}").get_data(as_text=True)
    assert "It tries the draft saved through the setup link" in text(page)
    shown = saml.post(olga, saml_answer(saml, to_the_idp(olga, saml.cid), "ivy@corp.example"))
    said = text(shown.get_data(as_text=True))
    assert "This test tried the draft saved through the setup link" in said
    assert "would join the organization with the roles: member" in said  # the draft's mapping


def test_a_member_who_is_no_admin_is_refused(saml: SamlSso) -> None:
    bob = member_browser(saml, "bob", "member")
    assert start_test(bob, saml.cid).status_code == 403
    # Nor may they start one for another org's connection, or none.
    olga = owner_browser(saml)
    assert start_test(olga, "0" * 20).status_code == 404


def test_a_saml_trial_brought_by_another_signed_in_account_is_refused(saml: SamlSso) -> None:
    olga = owner_browser(saml)
    location, name, flight = started(olga, saml.cid)
    assert name.endswith("sso")
    ada = member_browser(saml, "ada", "admin")  # an admin too, but not who started it
    ada.set_cookie(name, flight)
    refused = saml.post(ada, saml_answer(saml, location, "ivy@corp.example"))
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert "started by another account" in refused.get_data(as_text=True)
    assert saml.user_of("ivy@corp.example") is None


def test_an_admin_demoted_meanwhile_sees_no_answer(saml: SamlSso) -> None:
    ada = member_browser(saml, "ada", "admin")
    location = to_the_idp(ada, saml.cid)
    user = saml.user_of("ada@example.com")
    demoted = saml.world.client.patch(
        f"/orgs/corp/members/{user.id}", json={"roles": ["member"]}, headers=saml.owner
    )
    assert demoted.status_code == 200, demoted.get_json()
    refused = saml.post(ada, saml_answer(saml, location, "ivy@corp.example"))
    assert refused.status_code == 403, refused.get_data(as_text=True)


def test_an_admins_openid_test_shows_the_answer_and_makes_nothing(oidc: OidcSso) -> None:
    olga = owner_browser(oidc)
    location = to_the_idp(olga, oidc.cid)
    assert location.startswith(oidc.idp.issuer + "/authorize?")
    shown = oidc.back(olga, oidc.idp.authorize(location, IDA))
    assert shown.status_code == 200, shown.get_data(as_text=True)
    said = text(shown.get_data(as_text=True))
    assert "Subject (sub)" in said and "sub-ida" in said and "ida@corp.example" in said
    assert "This test tried the connection as it is." in said
    assert "would join the organization with the roles: admin" in said
    assert oidc.user_of("ida@corp.example") is None
    identities = oidc.world.adapters.of(AccountsAdapters).identities
    assert identities.find_by_identity(f"sso-{oidc.cid}", "sub-ida") is None


def test_an_openid_trial_returns_only_to_the_admins_session(oidc: OidcSso) -> None:
    olga = owner_browser(oidc)
    location, name, flight = started(olga, oidc.cid)
    assert name.endswith("upstream")
    callback = oidc.idp.authorize(location, IDA)
    ada = member_browser(oidc, "ada", "admin")
    ada.set_cookie(name, flight)
    assert oidc.back(ada, callback).status_code == 403  # another account's session
    nobody = oidc.world.app.test_client()
    nobody.set_cookie(name, flight)
    assert oidc.back(nobody, callback).status_code == 403  # no session: not the admin's
    assert oidc.user_of("ida@corp.example") is None
