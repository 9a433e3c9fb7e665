"""/admin on fakes (docs/pages.md): who may open it, the search and its pages, each action
on an account, and the forms' defences."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest
from flask.testing import FlaskClient

from application.accounts.admin import SetDisabled
from application.accounts.services import AccountServices
from domain.accounts.credentials import username_key
from domain.accounts.users import Role
from tests.support.admin_pages import browser, post, root, user
from tests.support.api import login, register
from tests.support.app import World
from tests.support.oauth import csrf_of
from tests.support.pages import csrf
from tests.support.totp import enrol

__all__ = ["root"]  # a fixture, used here

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    return World()


def rows(html: str) -> list[str]:
    """The usernames in the list, in order."""
    return re.findall(r'<th scope="row"><a href="/admin/users/[^"]+">([^<]+)</a>', html)


@pytest.mark.parametrize("path", ["/admin", "/admin?prefix=al", "/admin/users/abc"])
def test_signed_out_leads_to_sign_in_with_next(world: World, path: str) -> None:
    answer = world.client.get(path)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/sign-in?" + urlencode({"next": path})


def test_a_post_signed_out_leads_to_sign_in(world: World, root: FlaskClient) -> None:
    page = f"/admin/users/{user(world, 'root').id}"
    root.post("/sign-out", data={"csrf_token": csrf(root, page)})
    answer = root.post(f"{page}/end-sessions", data={"csrf_token": csrf(root, "/sign-in")})
    assert answer.status_code == 303 and answer.headers["Location"] == "/sign-in?next=%2Fadmin"


def test_a_non_admin_gets_a_403_page_and_changes_nothing(world: World, root: FlaskClient) -> None:
    bob = browser(world, "bob")
    target = user(world, "root")
    for path in ("/admin", f"/admin/users/{target.id}", "/admin?prefix=root@"):
        answer = bob.get(path)
        assert answer.status_code == 403 and answer.mimetype == "text/html"
        html = answer.get_data(as_text=True)
        assert 'role="alert">This page is for admins only.' in html
        assert "root@example.com" not in html
    token = csrf(bob, "/account")
    for path, form in (
        (f"/admin/users/{target.id}", {"role": "user"}),
        (f"/admin/users/{target.id}", {"disabled": "true"}),
        (f"/admin/users/{target.id}/end-sessions", {}),
        (f"/admin/users/{target.id}/reset-mfa", {}),
        (f"/admin/users/{target.id}/send-verification", {}),
        ("/admin/invitations", {"email": "eve@example.com", "role": "admin"}),
    ):
        answer = bob.post(path, data={**form, "csrf_token": token})
        assert answer.status_code == 403 and answer.mimetype == "text/html", path
    after = user(world, "root")
    assert (after.role, after.disabled, after.token_version) == (
        Role.ADMIN,
        False,
        target.token_version,
    )
    assert "eve" not in world.store.usernames
    assert root.get("/admin").status_code == 200  # root's sessions live on


def test_search_by_username_prefix_and_by_address_prefix(world: World, root: FlaskClient) -> None:
    for name in ("alice", "Albert", "bob"):
        register(world.client, name)
    world.services.of(AccountServices).admin.set_disabled(SetDisabled("bob", True))
    html = root.get("/admin").get_data(as_text=True)
    assert rows(html) == ["Albert", "alice", "bob", "root"]
    assert "All users" in html and "Disabled" in html and "bob@example.com" in html
    assert rows(root.get("/admin?prefix=AL").get_data(as_text=True)) == ["Albert", "alice"]
    assert rows(root.get("/admin?prefix=bob%40EX").get_data(as_text=True)) == ["bob"]
    assert rows(root.get("/admin?prefix=bob").get_data(as_text=True)) == ["bob"]
    empty = root.get("/admin?prefix=%3Cscript%3E").get_data(as_text=True)
    assert rows(empty) == [] and "No user matches." in empty
    assert "<script>" not in empty and "&lt;script&gt;" in empty


def test_the_list_pages_on(world: World, root: FlaskClient) -> None:
    made = [f"user{a}{b}" for a in "ab" for b in "abcdefghijklm"][:25]
    for name in made:
        register(world.client, name)
    names = sorted(made, key=username_key)  # the keys that make names unique: see docs
    first = root.get("/admin?prefix=user").get_data(as_text=True)
    assert rows(first) == names[:20] and "First page" not in first
    found = re.search(r'<a href="(/admin\?[^"]+)" rel="next">Next page</a>', first)
    assert found is not None
    second = root.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert rows(second) == names[20:] and 'rel="next"' not in second
    assert '<a href="/admin?prefix=user">First page</a>' in second
    bad = root.get("/admin?cursor=nonsense")
    assert bad.status_code == 422 and 'role="alert"' in bad.get_data(as_text=True)


def test_the_role_changes_and_a_bad_one_is_refused_beside_its_field(
    world: World, root: FlaskClient
) -> None:
    register(world.client, "bob")
    bob = user(world, "bob")
    page = f"/admin/users/{bob.id}"
    status, location, _ = post(root, page, page, role="uploader")
    assert (status, location) == (303, f"{page}?done=role")
    assert user(world, "bob").role is Role.UPLOADER
    assert "The role is changed." in root.get(location).get_data(as_text=True)
    status, _, html = post(root, page, page, role="superuser")
    assert status == 422 and 'id="role-error" role="alert"' in html
    assert user(world, "bob").role is Role.UPLOADER
    status, _, html = post(root, page, page, disabled="maybe")
    assert status == 422 and 'role="alert"' in html and not user(world, "bob").disabled


def test_disable_signs_the_user_out_and_enable_lets_them_sign_in_anew(
    world: World, root: FlaskClient
) -> None:
    bob_browser = browser(world, "bob")
    bob = user(world, "bob")
    page = f"/admin/users/{bob.id}"
    status, location, _ = post(root, page, page, disabled="true")
    assert (status, location) == (303, f"{page}?done=disabled")
    assert user(world, "bob").disabled
    answer = bob_browser.get("/account")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/sign-in")
    shown = root.get(location).get_data(as_text=True)
    assert "The account is disabled; every session of it has ended." in shown
    assert "Enable the account" in shown
    status, location, _ = post(root, page, page, disabled="false")
    assert (status, location) == (303, f"{page}?done=enabled")
    assert not user(world, "bob").disabled
    assert bob_browser.get("/account").status_code == 303  # no session comes back
    assert login(world.client, "bob")


def test_end_every_session(world: World, root: FlaskClient) -> None:
    bob_browser = browser(world, "bob")
    bob = user(world, "bob")
    page = f"/admin/users/{bob.id}"
    status, location, _ = post(root, f"{page}/end-sessions", page)
    assert (status, location) == (303, f"{page}?done=sessions")
    assert bob_browser.get("/account").status_code == 303
    assert root.get("/admin").status_code == 200  # the admin's own session is not touched
    assert "Every session of the account has ended." in root.get(location).get_data(as_text=True)


def test_reset_two_step_login(world: World, root: FlaskClient) -> None:
    register(world.client, "alice")
    enrol(world.client, login(world.client, "alice"))
    alice = user(world, "alice")
    assert alice.id in world.store.factors
    page = f"/admin/users/{alice.id}"
    status, location, _ = post(root, f"{page}/reset-mfa", page)
    assert (status, location) == (303, f"{page}?done=mfa")
    assert alice.id not in world.store.factors
    event = world.audit.events[-1]
    assert (event.event.value, event.actor_id) == ("mfa_disabled", user(world, "root").id)
    assert login(world.client, "alice")  # the password alone, now


def test_send_a_verification_mail(world: World, root: FlaskClient) -> None:
    register(world.client, "bob")
    bob = user(world, "bob")
    world.deliver()
    page = f"/admin/users/{bob.id}"
    status, location, _ = post(root, f"{page}/send-verification", page)
    assert (status, location) == (303, f"{page}?done=verification")
    world.deliver()
    assert len(world.mailer.to("bob@example.com")) == 2  # at sign-up, and this one
    assert "A verification mail is on its way." in root.get(location).get_data(as_text=True)
    world.services.of(AccountServices).admin.set_disabled(SetDisabled("bob", True))
    status, _, html = post(root, f"{page}/send-verification", page)
    assert status == 409 and 'role="alert">The account is disabled; enable it first.' in html
    assert bob.shown_name in html  # the account's page again


def test_invite_someone(world: World, root: FlaskClient) -> None:
    status, location, _ = post(
        root, "/admin/invitations", "/admin", email="Joan@example.com", username="", role="uploader"
    )
    joan = user(world, "joan")
    assert (status, location) == (303, f"/admin/users/{joan.id}?done=invited")
    assert joan.role is Role.UPLOADER and joan.password_hash is None
    assert "The invitation is on its way" in root.get(location).get_data(as_text=True)
    world.deliver()
    world.token("Joan@example.com", "/reset-password")  # the mail's set-password link
    [mail] = world.mailer.to("Joan@example.com")
    link = next(word for word in mail.text.split() if "token=" in word)
    assert link.endswith("&invited=1")
    newcomer = world.app.test_client()
    greeting = newcomer.get(urlsplit(link).path + "?" + urlsplit(link).query)
    html = greeting.get_data(as_text=True)
    assert "Choose the password of your new account" in html and "passkeys" not in html
    assert 'name="invited" value="1"' in html  # kept when a refused password re-renders it
    form = {"token": "bad", "invited": "1", "new_password": "short", "csrf_token": csrf_of(html)}
    refused = newcomer.post("/reset-password", data=form).get_data(as_text=True)
    assert "Choose the password of your new account" in refused and "passkeys" not in refused
    reset = newcomer.get("/reset-password?token=x").get_data(as_text=True)
    assert "removes the passkeys of your account" in reset  # a reset still warns
    # Refused: the address taken, beside its field, the form refilled; a role unknown.
    status, _, html = post(
        root, "/admin/invitations", "/admin", email="joan@example.com", username="jo2", role="user"
    )
    assert status == 409 and 'id="email-error" role="alert"' in html and 'value="jo2"' in html
    assert "<table>" in html  # the list is still there
    status, _, html = post(
        root, "/admin/invitations", "/admin", email="kim@example.com", role="superuser"
    )
    assert status == 422 and 'id="role-error" role="alert"' in html
    assert "kim" not in world.store.usernames


def test_an_unknown_user_is_a_404_page(world: World, root: FlaskClient) -> None:
    for answer in (
        root.get("/admin/users/nobody"),
        root.post("/admin/users/nobody/end-sessions", data={"csrf_token": csrf(root, "/admin")}),
    ):
        assert answer.status_code == 404 and 'role="alert">No such user.' in answer.get_data(
            as_text=True
        )


def test_the_403_page_offers_a_signed_in_person_their_account_not_sign_in(
    world: World, root: FlaskClient
) -> None:
    """Signed in, refused a page (or a form without its token): the way to the account and
    to sign out, never "Sign in"; signed out, "Sign in"."""
    bob = browser(world, "bob")
    for answer in (
        bob.get("/admin"),
        bob.post("/admin/invitations", data={"email": "eve@example.com", "csrf_token": "x"}),
    ):
        html = answer.get_data(as_text=True)
        assert answer.status_code == 403, html
        assert ">Sign in<" not in html
        assert '<a href="/account">Your account</a>' in html
        assert '<form method="post" action="/sign-out">' in html
        assert 'name="csrf_token" value="' in html
    bob.post("/sign-out", data={"csrf_token": csrf(bob, "/account")})
    signed_out = bob.post("/account/password", data={"csrf_token": "x"})
    html = signed_out.get_data(as_text=True)
    assert signed_out.status_code == 403 and '<a href="/sign-in">Sign in</a>' in html
    assert 'action="/sign-out"' not in html


def test_a_post_without_the_token_is_403_and_changes_nothing(
    world: World, root: FlaskClient
) -> None:
    bob_browser = browser(world, "bob")
    bob = user(world, "bob")
    world.deliver()  # the sign-up mails
    page = f"/admin/users/{bob.id}"
    for path, form in (
        (page, {"role": "admin"}),
        (page, {"disabled": "true"}),
        (f"{page}/end-sessions", {}),
        (f"{page}/reset-mfa", {}),
        (f"{page}/send-verification", {}),
        ("/admin/invitations", {"email": "eve@example.com", "role": "admin"}),
    ):
        for token in ("", "forged"):
            answer = root.post(path, data={**form, "csrf_token": token})
            assert answer.status_code == 403 and 'role="alert"' in answer.get_data(as_text=True)
    assert user(world, "bob") == bob
    assert "eve" not in world.store.usernames
    assert bob_browser.get("/account").status_code == 200
    assert not world.queue.jobs  # no mail was asked for


def test_the_pages_label_every_input_and_speak_spanish(world: World, root: FlaskClient) -> None:
    root.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    for path in ("/admin", f"/admin/users/{user(world, 'root').id}"):
        answer = root.get(path)
        html = answer.get_data(as_text=True)
        assert answer.headers["Cache-Control"] == "no-store"
        for name in re.findall(r'<(?:input|select) id="([^"]+)"', html):
            assert f'<label for="{name}">' in html, (path, name)
    html = root.get("/admin").get_data(as_text=True)
    assert "Administración" in html and '<th scope="col">' in html


def test_the_account_page_leads_admins_and_only_admins_to_admin(
    world: World, root: FlaskClient
) -> None:
    assert 'href="/admin"' in root.get("/account").get_data(as_text=True)
    someone = browser(world, "someone")
    assert 'href="/admin"' not in someone.get("/account").get_data(as_text=True)


def test_every_admin_page_leads_back_to_the_account_area(world: World, root: FlaskClient) -> None:
    """Each page under /admin that a browser opens (the app's GET routes there, without a
    path parameter) has, in its header, the way to /admin and back to /account."""
    paths = sorted(
        rule.rule
        for rule in world.app.url_map.iter_rules()
        if rule.rule.startswith("/admin")
        and "GET" in (rule.methods or ())
        and not rule.arguments
        and rule.endpoint.startswith("pages.")
    )
    assert "/admin" in paths and "/admin/hooks/auth" in paths and "/admin/orgs" in paths
    for path in paths:
        answer = root.get(path, headers={"Accept": "text/html"})
        if answer.status_code != 200:
            continue  # another way in (a redirect to a page listed here)
        html = answer.get_data(as_text=True)
        header = html.split("<header>", 1)[1].split("</header>", 1)[0]
        assert 'href="/account"' in header and 'href="/admin"' in header, path
