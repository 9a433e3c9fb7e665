"""The role templates' admin page on the fakes (docs/pages.md, "Organizations"):
/admin/org-roles, where firegate's admins add, edit and delete the roles every org has; an
org's Roles section marks them and offers its owners no form for them; a forged post changes
nothing; in Spanish too."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from bootstrap.orgs import OrgsAdapters
from tests.support.admin_pages import browser, org_owner, post
from tests.support.app import World

pytestmark = pytest.mark.unit

PAGE = "/admin/role-templates"


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def root(world: World) -> FlaskClient:
    client = browser(world, "root")
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    return client


def html(client: FlaskClient, path: str, **headers: str) -> str:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def stored(world: World) -> dict[str, tuple[str, tuple[str, ...]]]:
    found = world.adapters.of(OrgsAdapters).templates.templates()
    return {name: (d.description, d.permissions) for name, d in found.items()}


def test_admins_add_edit_and_delete_templates(world: World, root: FlaskClient) -> None:
    assert '<a href="/admin/role-templates">' in html(root, "/admin")
    navigation = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    sent = root.get("/admin/org-roles", headers=navigation)
    assert (sent.status_code, sent.headers["Location"]) == (303, PAGE)
    assert "No roles yet." in html(root, PAGE)
    form = {"role": "billing", "description": "Pays", "permissions": "pay, refund"}
    status, location, _ = post(root, PAGE, PAGE, **form)
    assert (status, location) == (303, f"{PAGE}?done=saved")
    assert stored(world) == {"billing": ("Pays", ("pay", "refund"))}
    page = html(root, location)
    assert 'id="template-1">billing</strong>' in page and "<code>refund</code>" in page
    edited = post(root, f"{PAGE}/billing", PAGE, description="", permissions="pay")
    assert edited[:2] == (303, f"{PAGE}?done=saved")
    assert stored(world) == {"billing": ("", ("pay",))}
    refused = post(root, PAGE, PAGE, role="owner", permissions="x")
    assert refused[0] == 403 and "firegate" in refused[2]  # template_role, said on the page
    status, location, _ = post(root, f"{PAGE}/billing/delete", PAGE)
    assert (status, location) == (303, f"{PAGE}?done=deleted") and stored(world) == {}


def test_only_admins_see_the_page_and_a_forged_post_changes_nothing(
    world: World, root: FlaskClient
) -> None:
    olga = org_owner(world)
    assert olga.get(PAGE).status_code == 403
    assert post(olga, PAGE, "/account", role="billing", permissions="pay")[0] == 403
    assert post(root, PAGE, PAGE, role="billing", permissions="pay")[0] == 303
    forged = root.post(f"{PAGE}/billing", data={"description": "x", "permissions": "all"})
    assert forged.status_code == 403
    assert root.post(f"{PAGE}/billing/delete").status_code == 403
    assert root.post(PAGE, data={"role": "new", "permissions": "x"}).status_code == 403
    assert stored(world) == {"billing": ("", ("pay",))}


def test_an_orgs_roles_section_marks_templates_without_a_form(
    world: World, root: FlaskClient
) -> None:
    olga = org_owner(world)
    assert post(root, PAGE, PAGE, role="billing", permissions="pay")[0] == 303
    page = html(olga, "/account/orgs/acme/roles")
    assert '>billing</strong> <span class="tag">every organization\'s</span>' in page
    assert 'action="/account/orgs/acme/roles/billing"' not in page


def test_the_page_speaks_spanish(world: World, root: FlaskClient) -> None:
    page = html(root, PAGE, **{"Accept-Language": "es"})
    assert "Roles de toda organización" in page and "Añadir un rol" in page
