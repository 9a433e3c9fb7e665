"""The organizations' pages on the fakes (docs/pages.md, "Organizations"): /account/orgs
(create, leave, the header's switcher), an org's sections (settings, members, invitations,
domains, provisioning, events) for its owners, admins and members, /admin/orgs, and
/orgs/{slug} in a browser."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.pagination import DEFAULT_LIMIT
from application.scim.services import ScimServices
from bootstrap.orgs import OrgsAdapters
from domain.accounts.users import User
from domain.orgs.orgs import Org
from domain.signin.active_org import ActiveOrg
from interfaces.web.orgs import org as org_page
from tests.fakes.org_domains import FakeTxtRecords
from tests.support.admin_pages import browser, post
from tests.support.api import bearer, login, register
from tests.support.app import World

pytestmark = pytest.mark.unit

ORGS = "/account/orgs"
ACME = "/account/orgs/acme"


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def olga(world: World) -> FlaskClient:
    """The owner of "Acme Corp" (slug acme), who created it on /account/orgs."""
    client = browser(world, "olga")
    status, location, _ = post(client, ORGS, ORGS, slug="acme", name="Acme Corp")
    assert (status, location) == (303, f"{ACME}?done=org-created")
    return client


def acme(world: World) -> Org:
    found = world.adapters.of(OrgsAdapters).orgs.find("acme")
    assert found is not None
    return found


def member(world: World, name: str, *roles: str) -> FlaskClient:
    """``name``'s browser, a member of acme with ``roles`` (added as an operator does)."""
    client = browser(world, name)
    world.services.of(OrgServices).members.add_member(AddMember("acme", name, roles or ("member",)))
    return client


def user(world: World, name: str) -> User:
    (found,) = [u for u in world.store.users.values() if u.shown_name == name]
    return found


def html(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def test_create_an_org_from_the_account_area(world: World, olga: FlaskClient) -> None:
    page = html(olga, f"{ACME}?done=org-created")
    assert "The organization is created: you are its owner." in page
    assert 'name="name" type="text" required value="Acme Corp"' in page  # admins edit
    assert "Delete Acme Corp" in page  # owners delete
    listed = html(olga, ORGS)
    assert 'href="/account/orgs" aria-current="page"' in listed  # a section of the account
    assert f'href="{ACME}"' in listed and "owner" in listed

    other = browser(world, "oscar")
    status, _, body = post(other, ORGS, ORGS, slug="acrne", name="Look-alike")
    assert status == 409  # a look-alike of acme
    assert 'id="org-create-slug-error" role="alert"' in body
    assert "This slug, or one that looks like it, is taken." in body
    status, _, body = post(other, ORGS, ORGS, slug="new", name="New")
    assert status == 422 and "This slug is reserved; choose another." in body


def test_the_switcher_acts_in_an_org_or_in_none(world: World, olga: FlaskClient) -> None:
    org, olga_id = acme(world), user(world, "olga").id
    # The fakes' per-request check reads the memberships from their own table.
    world.store.active_orgs[(org.id, olga_id)] = ActiveOrg(org.id, "acme", ("owner",), 1)
    page = html(olga, "/account")
    assert '<option value="acme">Acme Corp</option>' in page  # not the active one yet
    status, location, _ = post(olga, "/account/org", "/account", org="acme", next="/account")
    assert (status, location) == (303, "/account?done=org-switched")
    page = html(olga, location)
    assert '<option value="acme" selected>Acme Corp</option>' in page
    assert "The active organization is changed." in page
    assert "Active</span>" in html(olga, ORGS)

    status, location, _ = post(olga, "/account/org", "/account", org="", next="/account/devices")
    assert (status, location) == (303, "/account/devices?done=org-switched")
    assert '<option value="acme" selected>' not in html(olga, location)

    status, _, body = post(olga, "/account/org", "/account", org="nope", next="//evil.example")
    assert status == 404 and "No such organization." in body


def test_an_org_requiring_mfa_points_to_the_security_section(
    world: World, olga: FlaskClient
) -> None:
    org, olga_id = acme(world), user(world, "olga").id
    world.store.active_orgs[(org.id, olga_id)] = ActiveOrg(
        org.id, "acme", ("owner",), 1, require_mfa=True
    )
    status, _, body = post(olga, "/account/org", "/account", org="acme", next="/account")
    assert status == 403
    assert "This organization requires two-step sign-in" in body
    assert '<a href="/account/security">Set up two-step sign-in</a>' in body


def test_settings_are_changed_by_admins(world: World, olga: FlaskClient) -> None:
    form = {
        "name": "Acme Inc",
        "slug": "acme",
        "domain_policy": "suggest",
        "require_mfa": "true",
        "custom_roles": "billing\nsupport",
    }
    status, location, _ = post(olga, f"{ACME}/settings", ACME, **form)
    assert (status, location) == (303, f"{ACME}?done=settings")
    org = acme(world)
    assert (org.name, org.domain_policy.value, org.require_mfa) == ("Acme Inc", "suggest", True)
    assert org.custom_roles == ("billing", "support")
    page = html(olga, f"{ACME}/events")  # the audit log names the fields changed
    assert "Settings changed" in page and "name,domain_policy,require_mfa,custom_roles" in page
    status, location, _ = post(olga, f"{ACME}/settings", ACME, **form)  # saved as it was
    assert (status, location) == (303, f"{ACME}?done=settings")
    assert html(olga, f"{ACME}/events").count("Settings changed") == 1  # no change, no event

    status, _, body = post(olga, f"{ACME}/settings", ACME, **{**form, "custom_roles": "Owner"})
    assert status == 422 and 'id="settings-custom_roles-error"' in body
    assert acme(world).custom_roles == ("billing", "support")

    form["slug"] = "acme-inc"  # a new slug: the page's address follows it
    status, location, _ = post(olga, f"{ACME}/settings", ACME, **form)
    assert (status, location) == (303, "/account/orgs/acme-inc?done=settings")


def test_the_audit_log_names_people_events_and_connections(world: World, olga: FlaskClient) -> None:
    member(world, "mia")
    owner = bearer(login(world.client, "olga"))
    world.client.patch("/user", json={"name": "Olga", "last_name": "Ivanova"}, headers=owner)
    made = world.client.post(
        "/orgs/acme/connections", json={"kind": "saml", "name": "Corp IdP"}, headers=owner
    )
    assert made.status_code == 201, made.get_json()
    page = html(olga, f"{ACME}/events")
    for person in ("olga", "mia"):
        assert user(world, person).id not in page  # by name, never by id
        assert f"<strong>{person}</strong>" in page and f"{person}@example.com" in page
    assert "(Olga Ivanova)" in page
    assert "by an operator (command line)" in page  # mia was added from the command line
    assert "Single sign-on connection created</strong> <code>org.sso_connection_created</code>" in (
        page
    )
    assert "Connection: Corp IdP" in page and made.get_json()["id"] not in page
    assert "Member added</strong> <code>org.member_added</code>" in page
    spanish = olga.get(f"{ACME}/events", headers={"Accept-Language": "es"})
    assert "Conexión de inicio de sesión único creada" in spanish.get_data(as_text=True)


def test_members_see_the_org_read_only_and_others_nothing(world: World, olga: FlaskClient) -> None:
    mia = member(world, "mia")
    page = html(mia, ACME)
    assert 'action="/account/orgs/acme/settings"' not in page and "Acme Corp" in page
    assert "/account/orgs/acme/invitations" not in page  # sections a member cannot open
    assert "Delete Acme Corp" not in page
    members = html(mia, f"{ACME}/members")
    assert "olga" in members and "mia" in members and "Change roles" not in members
    assert "Leave the organization" in members
    assert mia.get(f"{ACME}/events").status_code == 403

    nobody = browser(world, "nina")
    assert nobody.get(ACME).status_code == 404  # as for no org at all
    assert nobody.get(f"{ACME}/members").status_code == 404


def test_the_navigation_offers_only_the_sections_the_page_has(
    olga: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A section no unit put on the page (its unit left out: the agents') has no link."""
    assert f'href="{ACME}/events"' in html(olga, ACME)
    kept = [section for section in org_page._INSTALLED if section is not org_page.EVENTS]
    monkeypatch.setattr(org_page, "_INSTALLED", kept)
    page = html(olga, ACME)
    assert f'href="{ACME}/events"' not in page and f'href="{ACME}/members"' in page


def test_admins_change_roles_remove_and_the_last_owner_stays(
    world: World, olga: FlaskClient
) -> None:
    member(world, "mia")
    mia_id, olga_id = user(world, "mia").id, user(world, "olga").id
    page = html(olga, f"{ACME}/members")
    assert "Roles of mia" in page
    path = f"{ACME}/members/{mia_id}/roles"
    status, location, _ = post(olga, path, f"{ACME}/members", roles="admin")
    assert (status, location) == (303, f"{ACME}/members?done=roles")
    found = world.adapters.of(OrgsAdapters).orgs.membership(acme(world).id, mia_id)
    assert found is not None and found.roles == ("admin",)

    status, _, body = post(olga, f"{ACME}/members/{olga_id}/roles", ACME, roles="admin")
    assert status == 409 and "An organization keeps at least one owner" in body
    status, _, body = post(olga, f"{ACME}/members/{olga_id}/remove", ACME)
    assert status == 409 and "An organization keeps at least one owner" in body

    status, location, _ = post(olga, f"{ACME}/members/{mia_id}/remove", ACME)
    assert (status, location) == (303, f"{ACME}/members?done=member-removed")
    assert world.adapters.of(OrgsAdapters).orgs.membership(acme(world).id, mia_id) is None


def test_members_are_listed_a_page_at_a_time(world: World, olga: FlaskClient) -> None:
    for n in range(DEFAULT_LIMIT):
        register(world.client, f"p{n:02d}x")
        world.services.of(OrgServices).members.add_member(
            AddMember("acme", f"p{n:02d}x", ("member",))
        )
    first = html(olga, f"{ACME}/members")
    assert first.count("Roles of ") == DEFAULT_LIMIT and "First page" not in first
    [following] = re.findall(r'href="(/account/orgs/acme/members\?cursor=[^"]+)" rel="next"', first)
    second = html(olga, following.replace("&amp;", "&"))
    assert second.count("Roles of ") == 1 and 'href="/account/orgs/acme/members">First' in second


def test_members_leave(world: World, olga: FlaskClient) -> None:
    mia = member(world, "mia")
    status, location, _ = post(mia, f"{ORGS}/acme/leave", ORGS)
    assert (status, location) == (303, f"{ORGS}?done=org-left")
    assert "You left the organization." in html(mia, location)
    assert mia.get(ACME).status_code == 404
    status, _, body = post(olga, f"{ORGS}/acme/leave", ORGS)
    assert status == 409 and "An organization keeps at least one owner" in body


def test_invitations_are_sent_listed_and_revoked(world: World, olga: FlaskClient) -> None:
    invitations = f"{ACME}/invitations"
    status, location, _ = post(
        olga, invitations, invitations, email="Ivy@Example.com", roles="member"
    )
    assert (status, location) == (303, f"{invitations}?done=invited")
    world.deliver()
    assert world.mailer.to("Ivy@Example.com")  # the invitation's mail, as the address was typed
    page = html(olga, invitations)
    assert "Ivy@Example.com" in page and "Revoke" in page
    [invitation_id] = re.findall(r"/invitations/([^/]+)/revoke", page)
    status, location, _ = post(olga, f"{invitations}/{invitation_id}/revoke", invitations)
    assert (status, location) == (303, f"{invitations}?done=invitation-revoked")
    assert "Ivy@Example.com" not in html(olga, invitations)

    status, _, body = post(olga, invitations, invitations, email="ivy@example.com")
    assert status == 422 and "Choose at least one role." in body
    status, _, body = post(olga, invitations, invitations, email="nobody", roles="member")
    assert status == 422 and 'id="invite-email-error"' in body


def test_domains_are_added_verified_and_deleted(world: World, olga: FlaskClient) -> None:
    domains = f"{ACME}/domains"
    status, location, _ = post(olga, domains, domains, domain="Example.COM")
    assert (status, location) == (303, f"{domains}?done=domain-added#example.com")
    page = html(olga, domains)
    [value] = re.findall(r"<code>(firegate-verification=[^<]+)</code>", page)
    assert "<code>_firegate.example.com</code>" in page

    status, _, body = post(olga, f"{domains}/example.com/verify", domains)
    assert status == 409 and "The TXT record was not found yet." in body
    txt = world.adapters.of(OrgsAdapters).txt
    assert isinstance(txt, FakeTxtRecords)
    txt.publish("_firegate.example.com", value)
    status, location, _ = post(olga, f"{domains}/example.com/verify", domains)
    assert (status, location) == (303, f"{domains}?done=domain-verified")
    assert "Domain verified" in html(olga, f"{ACME}/events")

    status, location, _ = post(olga, f"{domains}/example.com/delete", domains)
    assert (status, location) == (303, f"{domains}?done=domain-deleted")
    assert "No domains yet." in html(olga, domains)
    status, _, body = post(olga, domains, domains, domain="10.0.0.1")
    assert status == 422 and 'id="domain-add-domain-error"' in body


def test_a_person_on_a_verified_domain_is_offered_to_join(world: World, olga: FlaskClient) -> None:
    domains = f"{ACME}/domains"
    post(olga, domains, domains, domain="example.com")
    record = re.findall(r"<code>(firegate-verification=[^<]+)</code>", html(olga, domains))
    txt = world.adapters.of(OrgsAdapters).txt
    assert isinstance(txt, FakeTxtRecords)
    txt.publish("example.com", *record)
    assert post(olga, f"{domains}/example.com/verify", domains)[0] == 303
    settings = {"name": "Acme Corp", "slug": "acme", "domain_policy": "suggest"}
    assert post(olga, f"{ACME}/settings", ACME, **settings)[0] == 303

    sam = browser(world, "sam")  # sam@example.com
    assert "Organizations you may join" not in html(sam, ORGS)  # not proven yet
    unproven = user(world, "sam")
    world.store.users[unproven.id] = unproven.with_email_verified(world.clock.now())
    page = html(sam, ORGS)
    assert "Organizations you may join" in page and "Join Acme Corp" in page
    status, location, _ = post(sam, f"{ORGS}/acme/join", ORGS)
    assert (status, location) == (303, f"{ACME}?done=org-joined")
    assert "You joined the organization." in html(sam, location)
    found = world.adapters.of(OrgsAdapters).orgs.membership(acme(world).id, unproven.id)
    assert found is not None and found.roles == ("member",)
    assert "Organizations you may join" not in html(sam, ORGS)
    status, _, body = post(sam, f"{ORGS}/acme/join", ORGS)  # a second time
    assert status == 409 and 'role="alert"' in body


def test_owners_delete_the_org_once_confirmed(world: World, olga: FlaskClient) -> None:
    assert f'href="{ACME}/delete"' in html(olga, ACME)  # the settings link to the deletion
    page = html(olga, f"{ACME}/delete")
    assert 'id="delete-accounts"' in page and "No account this organization manages" in page
    status, _, body = post(olga, f"{ACME}/delete", f"{ACME}/delete", confirm="acm")
    assert status == 422 and 'id="delete-confirm-error"' in body and "delete-accounts" in body
    assert world.adapters.of(OrgsAdapters).orgs.find("acme") is not None
    status, location, _ = post(olga, f"{ACME}/delete", ACME, confirm="acme")
    assert (status, location) == (303, f"{ORGS}?done=org-deleted")
    assert world.adapters.of(OrgsAdapters).orgs.find("acme") is None
    assert "The organization is deleted." in html(olga, location)

    status, _, _ = post(olga, ORGS, ORGS, slug="acme", name="Acme again")  # the slug is free
    assert status == 303
    adam = member(world, "adam", "admin")  # an admin, not an owner
    page = html(adam, ACME)
    assert 'action="/account/orgs/acme/settings"' in page and f'href="{ACME}/delete"' not in page
    assert adam.get(f"{ACME}/delete").status_code == 403
    status, _, _ = post(adam, f"{ACME}/delete", ACME, confirm="acme")
    assert status == 403


def test_firegate_admins_list_and_delete_orgs(world: World, olga: FlaskClient) -> None:
    assert olga.get("/admin/orgs").status_code == 403
    root = browser(world, "root")
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    page = html(root, "/admin/orgs")
    assert "Acme Corp" in page and "acme" in page
    assert '<a href="/admin/orgs">' in html(root, "/admin")
    org_id = acme(world).id
    status, location, _ = post(root, f"/admin/orgs/{org_id}/delete", "/admin/orgs")
    assert (status, location) == (303, "/admin/orgs?done=deleted")
    assert world.adapters.of(OrgsAdapters).orgs.find("acme") is None
    assert "No organizations." in html(root, location)
    status, _, _ = post(olga, f"/admin/orgs/{org_id}/delete", ORGS)
    assert status == 403


def test_a_browser_at_the_orgs_api_address_goes_to_its_page(
    world: World, olga: FlaskClient
) -> None:
    navigation = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    answer = olga.get("/orgs/acme", headers=navigation)
    assert (answer.status_code, answer.headers["Location"]) == (303, ACME)
    assert olga.get("/orgs/acme").status_code == 401  # a program: the API's answer
    joining = olga.get("/orgs/join?token=x", headers=navigation)
    assert joining.status_code == 400 and "invalid" in joining.get_data(as_text=True)  # a page


def test_the_pages_in_spanish(world: World, olga: FlaskClient) -> None:
    spanish = {"Accept-Language": "es"}
    page = olga.get(ORGS, headers=spanish).get_data(as_text=True)
    assert "Tus organizaciones" in page and "Crear una organización" in page
    page = olga.get(f"{ACME}/members", headers=spanish).get_data(as_text=True)
    assert "Miembros" in page


# -- the SCIM section

SCIM = f"{ACME}/scim"


def test_an_admin_makes_a_token_shown_once_and_revokes_it(world: World, olga: FlaskClient) -> None:
    page = olga.get(SCIM).get_data(as_text=True)
    assert "http://127.0.0.1:8000/scim/v2" in page and "No SCIM tokens yet." in page
    assert f'href="{SCIM}"' in olga.get("/account/orgs/acme").get_data(as_text=True)
    status, _, body = post(olga, f"{SCIM}/tokens", SCIM, name="Okta")
    assert status == 200
    assert "Copy it into the directory now" in body
    token = body.split('<code id="new-scim-token">')[1].split("</code>")[0]
    assert token.startswith("fgs_")
    assert world.services.of(ScimServices).tokens.authenticate(token).org.slug.value == "acme"
    again = olga.get(SCIM).get_data(as_text=True)
    assert token not in again and "Okta" in again
    token_id = token.split(".")[1]
    status, location, _ = post(olga, f"{SCIM}/tokens/{token_id}/revoke", SCIM)
    assert (status, location) == (303, f"{SCIM}?done=scim-token-revoked")
    assert "The SCIM token is revoked" in olga.get(location).get_data(as_text=True)
    status, _, body = post(olga, f"{SCIM}/tokens", SCIM, name="")
    assert status == 422 and "No SCIM tokens yet." in body


def test_a_member_is_not_offered_the_section(world: World, olga: FlaskClient) -> None:
    bob = browser(world, "bob")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "bob", ("member",)))
    assert f'href="{SCIM}"' not in bob.get("/account/orgs/acme").get_data(as_text=True)
    assert bob.get(SCIM).status_code == 403
    status, _, _ = post(bob, f"{SCIM}/tokens", "/account/orgs/acme", name="x")
    assert status == 403


def test_the_section_speaks_spanish(olga: FlaskClient) -> None:
    page = olga.get(SCIM, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Aprovisionamiento (SCIM)" in page and "Crear un token SCIM" in page
