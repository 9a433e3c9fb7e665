"""Support access in the pages, on the fakes (docs/support-access.md): "Act as" on an
account's admin page and on an org's members, the banner naming the admin by username with
its End, and every form the session may not send shown disabled with why, by the same list
the guard refuses by: the routes the running units name (``OUTLASTING_ROUTES``)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from domain.accounts.outlasting import Outlasting
from interfaces.web.support_access.impersonation import WHY
from tests.support.admin_pages import browser, org_owner, post
from tests.support.app import World
from tests.support.mail_flows import verified
from tests.support.units import of_absent_unit_rule
from tests.unit.support_access.fakes import refused

pytestmark = pytest.mark.unit

FORM = re.compile(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', re.S)
REASON = "Ticket 4711"
PAGES = (
    "/account",
    "/account/security",
    "/account/devices",
    "/account/apps",
    "/account/delete",
    "/account/orgs",
    "/account/orgs/acme",
    "/account/orgs/acme/members",
    "/account/orgs/acme/roles",
    "/account/orgs/acme/invitations",
    "/account/orgs/acme/domains",
    "/account/orgs/acme/sso",
    "/account/orgs/acme/scim",
    "/account/orgs/acme/apps",
    "/account/orgs/acme/agents",
    "/account/orgs/acme/delete",
    "/device",  # the provider's page, served as the pages are
)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def refused_rule(world: World, action: str) -> bool:
    """Whether a form posting to ``action`` reaches a route the guard refuses."""
    adapter = world.app.url_map.bind("localhost")
    rule, _ = adapter.match(unescape(action).partition("?")[0], method="POST", return_rule=True)
    return ("POST", rule.rule) in refused(world.app)


def test_every_kind_says_why() -> None:
    assert set(WHY) == set(Outlasting)


@pytest.fixture
def world() -> World:
    return World()


def test_an_admin_acts_as_someone_from_their_page_and_the_pages_say_so(world: World) -> None:
    verified(world, "alice")
    root = browser(world, "root")
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    alice = world.store.usernames["alice"]
    page = root.get(f"/admin/users/{alice}").get_data(as_text=True)
    assert "Act as alice" in page and f'action="/admin/users/{alice}/act-as"' in page
    status, _, body = post(root, f"/admin/users/{alice}/act-as", f"/admin/users/{alice}",
                           reason=" ", minutes="15")  # fmt: skip
    assert status == 422 and "aria-invalid" in body and "<details open>" in body
    status, location, _ = post(
        root, f"/admin/users/{alice}/act-as", f"/admin/users/{alice}", reason=REASON, minutes="20"
    )
    assert (status, location) == (303, "/account")
    shown = root.get("/account").get_data(as_text=True)
    banner = re.search(r'<form class="banner"[^>]*>(.*?)</form>', shown, re.S)
    assert banner is not None and shown.index('class="banner"') < shown.index("<header>")
    assert text(banner[1]) == "You are acting as alice for root. End"
    # The profile keeps the username and the address: read-only, saying why.
    assert re.search(r'name="username" type="text"[^>]*readonly', shown)
    assert "Support access cannot change the username." in shown


def test_an_org_admin_acts_as_a_member_from_the_members_page(world: World) -> None:
    olga = org_owner(world)
    adam = browser(world, "adam")
    browser(world, "bob")
    for name, role in (("adam", "admin"), ("bob", "member")):
        world.services.of(OrgServices).members.add_member(AddMember("acme", name, (role,)))
    members = "/account/orgs/acme/members"
    assert "Act as" not in adam.get(members).get_data(as_text=True)  # no role carries it yet
    edit = {"description": "Admins", "permissions": "org:impersonate"}
    status, _, _ = post(olga, "/account/orgs/acme/roles/admin", "/account/orgs/acme/roles", **edit)
    assert status == 303
    page = adam.get(members).get_data(as_text=True)
    assert "Act as bob" in page and "Act as olga" not in page and "Act as adam" not in page
    bob = world.store.usernames["bob"]
    status, location, _ = post(
        adam, f"{members.rpartition('/')[0]}/members/{bob}/act-as", members,
        reason=REASON, minutes="10",
    )  # fmt: skip
    assert (status, location) == (303, "/account")
    assert "You are acting as bob for adam." in adam.get("/account").get_data(as_text=True)


def test_each_form_the_session_may_not_send_is_disabled_with_why(world: World) -> None:
    """adam acts as ada, an admin of acme: on every page of the account and of the org, a
    form is disabled, saying why, exactly where it posts to a route of the list."""
    olga = org_owner(world)
    adam, _ = browser(world, "adam"), browser(world, "ada")
    for name in ("adam", "ada"):
        world.services.of(OrgServices).members.add_member(AddMember("acme", name, ("admin",)))
    edit = {"description": "Admins", "permissions": "org:impersonate"}
    post(olga, "/account/orgs/acme/roles/admin", "/account/orgs/acme/roles", **edit)
    ada = world.store.usernames["ada"]
    members = "/account/orgs/acme/members"
    status, _, _ = post(adam, f"/account/orgs/acme/members/{ada}/act-as", members,
                        reason=REASON, minutes="10")  # fmt: skip
    assert status == 303
    disabled, enabled, shown = 0, 0, 0
    for path in (page for page in PAGES if not of_absent_unit_rule(page)):
        answer = adam.get(path)
        if answer.status_code == 403:  # an owner's section (agents, deletion): not ada's
            continue
        assert answer.status_code == 200, path
        shown += 1
        for action, inside in FORM.findall(answer.get_data(as_text=True)):
            off = (
                inside.startswith('<p class="refused"')
                and '<fieldset class="refused" disabled' in inside
            )
            assert off == refused_rule(world, action), (path, action)
            if off:
                disabled += 1
                assert text(inside.partition("</p>")[0]) in {str(why) for why in WHY.values()}
            else:
                enabled += 1
    assert shown >= len(PAGES) - 2
    assert disabled >= 15 and enabled >= 3  # the banner's End, sign-out, revocations
    # Her own browser: nothing disabled.
    own = browser(world, "ada2")
    assert 'class="refused"' not in own.get("/account/security").get_data(as_text=True)
