"""The Roles section of an org's page on the fakes (docs/pages.md, "Organizations"): every
role with its description, permissions and holders; owners add, edit and delete them, a
refusal said beside the role's form; members read only; a forged post changes nothing."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap.orgs import OrgsAdapters
from tests.support.admin_pages import browser, org_owner, post
from tests.support.app import World
from tests.support.pages import csrf

pytestmark = pytest.mark.unit

ROLES = "/account/orgs/acme/roles"


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def olga(world: World) -> FlaskClient:
    """The owner of acme."""
    return org_owner(world)


def html(client: FlaskClient, path: str, **headers: str) -> str:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def stored(world: World, role: str) -> tuple[str, tuple[str, ...]] | None:
    """``role``'s description and permissions as the org holds them."""
    org = world.adapters.of(OrgsAdapters).orgs.find("acme")
    assert org is not None
    found = org.roles.get(role)
    return None if found is None else (found.description, found.permissions)


def add(
    client: FlaskClient, role: str, permissions: str, description: str = ""
) -> tuple[int, str, str]:
    return post(client, ROLES, ROLES, role=role, description=description, permissions=permissions)


def test_owners_add_edit_and_delete_a_role(world: World, olga: FlaskClient) -> None:
    page = html(olga, ROLES)
    for shown, builtin in (("Owner", "owner"), ("Admin", "admin"), ("Member", "member")):
        assert f">{shown}</strong> <code>{builtin}</code>" in page
    assert 'href="/account/orgs/acme/roles" aria-current="page"' in page

    status, location, _ = add(olga, "billing", "invoices:read, invoices:write", "Pays bills")
    assert (status, location) == (303, f"{ROLES}?done=role-saved")
    assert stored(world, "billing") == ("Pays bills", ("invoices:read", "invoices:write"))
    page = html(olga, location)
    assert "The role is saved." in page
    assert "<code>invoices:read</code>, <code>invoices:write</code>" in page
    assert "Members holding it: 0" in page

    edit = f"{ROLES}/billing"
    status, location, _ = post(
        olga, edit, ROLES, description="Reads bills", permissions="invoices:read\n\n"
    )
    assert (status, location) == (303, f"{ROLES}?done=role-saved")
    assert stored(world, "billing") == ("Reads bills", ("invoices:read",))

    status, location, _ = post(olga, f"{edit}/delete", ROLES)
    assert (status, location) == (303, f"{ROLES}?done=role-deleted")
    assert stored(world, "billing") is None
    assert "The role is deleted." in html(olga, location)


def test_a_refusal_is_said_beside_the_role(world: World, olga: FlaskClient) -> None:
    assert add(olga, "billing", "invoices:read")[0] == 303
    browser(world, "mia")
    world.services.of(OrgServices).members.add_member(
        AddMember("acme", "mia", ("member", "billing"))
    )
    status, _, body = post(olga, f"{ROLES}/billing/delete", ROLES)
    assert status == 409
    assert stored(world, "billing") == ("", ("invoices:read",))
    billing = body.split('<strong id="role-4">billing</strong>', 1)[1].split("</li>", 1)[0]
    alert = '<p class="error" role="alert">Members hold this role: take it from them first.</p>'
    assert alert in billing  # beside the role, not atop the section
    assert "<details open>" in billing and body.count("<details open>") == 1  # that one open
    assert body.count('role="alert"') == 1

    too_many = ",".join(f"p{n}" for n in range(101))
    status, _, body = post(olga, f"{ROLES}/billing", ROLES, description="", permissions=too_many)
    assert status == 422 and 'id="role-4-permissions-error" role="alert"' in body
    assert stored(world, "billing") == ("", ("invoices:read",))

    status, _, body = add(olga, "Bad Name!", "x")
    assert status == 422 and 'id="role-role-error" role="alert"' in body
    assert 'value="Bad Name!"' in body  # what was typed, to correct
    assert stored(world, "Bad Name!") is None


def test_a_grant_past_the_granters_permissions_is_said_on_the_members_section(
    world: World, olga: FlaskClient
) -> None:
    assert add(olga, "billing", "invoices:read")[0] == 303
    ada = browser(world, "ada")
    browser(world, "mia")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "ada", ("admin",)))
    world.services.of(OrgServices).members.add_member(AddMember("acme", "mia", ("member",)))
    mia_id = next(u.id for u in world.store.users.values() if u.shown_name == "mia")
    members = "/account/orgs/acme/members"
    path = f"{members}/{mia_id}/roles"
    status, _, body = post(ada, path, members, roles="billing")
    assert status == 403
    assert (
        "You cannot give a role with a permission you do not have: &#39;invoices:read&#39;." in body
    )
    spanish = ada.post(
        path,
        data={"roles": "billing", "csrf_token": csrf(ada, members)},
        headers={"Accept-Language": "es"},
    )
    assert "No puedes dar un rol con un permiso que no tienes" in spanish.get_data(as_text=True)
    org = world.adapters.of(OrgsAdapters).orgs.find("acme")
    assert org is not None
    held = world.adapters.of(OrgsAdapters).orgs.membership(org.id, mia_id)
    assert held is not None and held.roles == ("member",)


def test_members_read_the_roles_without_controls(world: World, olga: FlaskClient) -> None:
    assert add(olga, "billing", "invoices:read")[0] == 303
    mia = browser(world, "mia")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "mia", ("member",)))
    page = html(mia, ROLES)
    assert "<code>invoices:read</code>" in page
    assert "<textarea" not in page and 'action="/account/orgs/acme/roles' not in page
    status, _, _ = post(mia, f"{ROLES}/billing", ROLES, description="", permissions="x")
    assert status == 403
    assert stored(world, "billing") == ("", ("invoices:read",))
    nobody = browser(world, "nina")
    assert nobody.get(ROLES).status_code == 404


def test_a_forged_post_is_refused_and_changes_nothing(world: World, olga: FlaskClient) -> None:
    assert add(olga, "billing", "invoices:read")[0] == 303
    forged = olga.post(f"{ROLES}/billing", data={"description": "x", "permissions": "all"})
    assert forged.status_code == 403
    assert olga.post(f"{ROLES}/billing/delete").status_code == 403
    assert olga.post(ROLES, data={"role": "new", "permissions": "x"}).status_code == 403
    assert stored(world, "billing") == ("", ("invoices:read",))
    assert stored(world, "new") is None


def test_the_section_speaks_spanish(world: World, olga: FlaskClient) -> None:
    page = html(olga, ROLES, **{"Accept-Language": "es"})
    assert "Añadir un rol" in page and "Permisos, uno por línea o separados por comas" in page


def test_the_roles_are_a_compact_list_each_edited_behind_its_disclosure(
    world: World, olga: FlaskClient
) -> None:
    """One heading of the page names the section; each role is a few lines, its forms folded
    under "Edit"; firegate's roles are named in the reader's language; the org switcher on
    the org's own page says what "no organization" means."""
    for n in range(3):
        assert add(olga, f"role{n}", "x:read")[0] == 303
    page = html(olga, ROLES)
    assert page.count("<h1>Roles · ") == 1 and page.split('<h2 id="add-role"')[0].count("<h2") == 0
    assert page.count("<details>") == 6 and page.count("<summary") == 6
    assert ">Just you</option>" in page and ">None<" not in page
    spanish = html(olga, ROLES, **{"Accept-Language": "es"})
    for shown in ("Propietario", "Administrador", "Miembro"):
        assert f">{shown}</strong>" in spanish
    assert spanish.count(">Editar</summary>") == 6
