"""The pages on fakes (docs/pages.md): rendering, the forms' defences, the cookies."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from interfaces.web.rendering import KEPT_PAGES, KEPT_PAGES_MAX
from tests.support.app import World
from tests.support.pages import PASSWORD, csrf, sign_up

pytestmark = pytest.mark.unit
ROUTES = Path(__file__).parents[3] / "src" / "interfaces" / "web"
PAGES = [
    "/sign-in",
    "/sign-up",
    "/forgot-password",
    "/verify-email?token=t",
    "/reset-password?token=t",
    "/not-me?token=t",
]


@pytest.fixture
def world() -> World:
    return World()


@pytest.mark.parametrize("path", PAGES)
def test_each_page_renders_with_its_headers(world: World, path: str) -> None:
    answer = world.client.get(path)
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert '<html lang="en">' in html and "firegate" in html
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"
    # Every input has a label.
    for name in re.findall(r'<input id="([^"]+)"', html):
        assert f'<label for="{name}">' in html


def test_the_page_links_its_files_under_the_script_root(world: World) -> None:
    """The script's address is built once per script root, so a service mounted under a
    prefix links its own, and one at the root its own, in any order."""
    for root in ["", "/accounts", "", "/accounts"]:
        base_url = f"http://localhost{root}/"
        html = world.client.get("/sign-in", base_url=base_url).get_data(as_text=True)
        assert f'<script src="{root}/static/pages/webauthn.js" defer></script>' in html, root


def test_one_csrf_token_per_page(world: World) -> None:
    html = world.client.get("/sign-in").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    field = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert meta is not None and field is not None and meta[1] == field[1]
    # The meta tag, the sign-in form and the language switch's form: the same token.
    assert world.client.get("/sign-in").get_data(as_text=True).count(meta[1]) == 3


@pytest.mark.parametrize("path", [*PAGES, "/account"])
def test_the_inlined_stylesheet_is_the_only_style_the_csp_allows(world: World, path: str) -> None:
    if path == "/account":
        sign_up(world)
    answer = world.client.get(path)
    html = answer.get_data(as_text=True)
    styles = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert styles == [(ROUTES / "static" / "pages.css").read_text(encoding="utf-8")]
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    csp = dict(
        directive.strip().split(" ", 1)
        for directive in answer.headers["Content-Security-Policy"].split(";")
    )
    assert csp["style-src"] == f"'sha256-{digest}'", "this stylesheet, nothing else"
    assert "unsafe" not in answer.headers["Content-Security-Policy"]
    assert 'rel="stylesheet"' not in html and " style=" not in html
    assert re.findall(r"<link [^>]*>", html) == ['<link rel="icon" href="data:,">']


def test_a_kept_page_carries_each_browsers_own_token(world: World) -> None:
    """/sign-in is rendered once and kept; every browser still gets its own token, valid
    for its own cookie and refused for another's."""
    browsers = [world.app.test_client() for _ in range(3)]
    tokens = [csrf(one, "/sign-in") for one in browsers]
    assert len(set(tokens)) == 3 and not any("csrf-slot" in token for token in tokens)
    form = {"username": "nobody", "password": PASSWORD}
    assert browsers[0].post("/sign-in", data={**form, "csrf_token": tokens[1]}).status_code == 403
    assert browsers[0].post("/sign-in", data={**form, "csrf_token": tokens[0]}).status_code == 401


@pytest.mark.parametrize("path", ["/sign-in", "/sign-up", "/forgot-password"])
def test_a_kept_page_is_kept_per_language(world: World, path: str) -> None:
    for _ in range(2):
        english = world.client.get(path).get_data(as_text=True)
        spanish = world.client.get(path, headers={"Accept-Language": "es"}).get_data(as_text=True)
        assert '<html lang="en">' in english and '<html lang="es">' in spanish


def test_a_kept_page_is_kept_per_context(world: World) -> None:
    """The notices, ``next`` and the typed hint are the page's own: one never shows on
    another's page, and the hint is escaped."""
    reset = world.client.get("/sign-in?reset=1").get_data(as_text=True)
    deleted = world.client.get("/sign-in?deleted=1").get_data(as_text=True)
    plain = world.client.get("/sign-in").get_data(as_text=True)
    assert "Your password is set" in reset and "Your account is deleted" not in reset
    assert "Your account is deleted" in deleted and "Your password is set" not in deleted
    assert "Your password is set" not in plain and "Your account is deleted" not in plain
    hinted = world.client.get("/sign-in?username=<b>eve&next=/account/x").get_data(as_text=True)
    assert 'value="&lt;b&gt;eve"' in hinted and "next=%2Faccount%2Fx" in hinted
    assert "eve" not in world.client.get("/sign-in").get_data(as_text=True)


def test_kept_pages_are_bounded(world: World) -> None:
    for n in range(KEPT_PAGES_MAX + 20):
        world.client.get(f"/sign-in?next=/p{n}")
    assert len(world.app.extensions[KEPT_PAGES].pages) == KEPT_PAGES_MAX
    assert "next=%2Fp0" in world.client.get("/sign-in?next=/p0").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/sign-in", "unsafe-none"),
        ("/sign-in?next=/oauth/authorize", "unsafe-none"),
        ("/oauth/authorize?client_id=none", "unsafe-none"),
        ("/oauth/logout", "unsafe-none"),
        ("/sign-up", "same-origin"),
        ("/forgot-password", "same-origin"),
        ("/account", "same-origin"),
        ("/admin", "same-origin"),
        ("/user", "same-origin"),
    ],
)
def test_the_opener_policy_is_kept_off_only_the_sign_in_path(
    world: World, path: str, policy: str
) -> None:
    answer = world.client.get(path)
    assert answer.headers["Cross-Origin-Opener-Policy"] == policy
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_a_wrong_password_on_the_sign_in_path_keeps_the_opener(world: World) -> None:
    form = {
        "username": "nobody",
        "password": PASSWORD,
        "csrf_token": csrf(world.client, "/sign-in"),
    }
    answer = world.client.post("/sign-in", data=form)
    assert answer.status_code == 401
    assert answer.headers["Cross-Origin-Opener-Policy"] == "unsafe-none"


def test_site_name_names_the_service() -> None:
    world = World(site_name="Acme Accounts")
    assert "Acme Accounts" in world.client.get("/sign-in").get_data(as_text=True)


def test_sign_up_signs_in_and_account_shows_who(world: World) -> None:
    sign_up(world)
    html = world.client.get("/account").get_data(as_text=True)
    assert "alice" in html and "alice@example.com" in html
    assert len(world.store.sessions) == 1  # a firegate session, as the API's


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://127.0.0.1:8000"}, {"Sec-Fetch-Site": "same-origin"}],
    ids=["no-origin", "same-origin", "same-site-fetch"],
)
def test_a_post_without_the_token_is_403_and_changes_nothing(
    world: World, headers: dict[str, str]
) -> None:
    world.client.get("/sign-up")  # the browser holds a CSRF cookie
    form = {"username": "bob", "email": "bob@example.com", "password": PASSWORD}
    for token in ("", "forged"):
        answer = world.client.post("/sign-up", data={**form, "csrf_token": token}, headers=headers)
        assert answer.status_code == 403 and 'role="alert"' in answer.get_data(as_text=True)
    assert world.store.users == {}


def test_a_post_from_another_origin_is_403_even_with_the_token(world: World) -> None:
    form = {"username": "bob", "email": "bob@example.com", "password": PASSWORD}
    token = csrf(world.client)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = world.client.post("/sign-up", data={**form, "csrf_token": token}, headers=headers)
        assert answer.status_code == 403
    assert world.store.users == {}


def test_a_token_from_another_browser_is_refused(world: World) -> None:
    token = csrf(world.client)
    other = world.app.test_client()
    other.get("/sign-up")
    form = {
        "username": "bob",
        "email": "bob@example.com",
        "password": PASSWORD,
        "csrf_token": token,
    }
    assert other.post("/sign-up", data=form).status_code == 403
    assert world.store.users == {}


@pytest.mark.parametrize(
    ("next_path", "lands"),
    [
        ("/account?tab=1", "/account?tab=1"),
        ("//evil.example/x", "/account"),
        ("/\\evil.example", "/account"),
        ("https://evil.example/", "/account"),
        ("javascript:alert(1)", "/account"),
    ],
)
def test_next_leads_only_to_a_path_of_this_site(world: World, next_path: str, lands: str) -> None:
    sign_up(world)
    world.client.post("/sign-out", data={"csrf_token": csrf(world.client, "/account")})
    form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(world.client, "/sign-in")}
    answer = world.client.post("/sign-in", query_string={"next": next_path}, data=form)
    assert answer.status_code == 303 and answer.headers["Location"] == lands


def test_a_wrong_password_rerenders_401_refilled_without_the_password(world: World) -> None:
    sign_up(world)
    world.client.post("/sign-out", data={"csrf_token": csrf(world.client, "/account")})
    form = {
        "username": "alice",
        "password": "wrong password!",
        "csrf_token": csrf(world.client, "/sign-in"),
    }
    answer = world.client.post("/sign-in", data=form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 401 and 'role="alert"' in html
    assert 'value="alice"' in html and "wrong password!" not in html


def test_sign_up_errors_are_beside_their_fields(world: World) -> None:
    sign_up(world)
    other = world.app.test_client()
    form = {"username": "alice", "email": "new@example.com", "password": PASSWORD}
    answer = other.post("/sign-up", data={**form, "csrf_token": csrf(other)})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and 'id="username-error" role="alert"' in html
    assert 'value="new@example.com"' in html and PASSWORD not in html
    short = {**form, "username": "carol", "password": "short", "csrf_token": csrf(other)}
    answer = other.post("/sign-up", data=short)
    assert answer.status_code == 422 and 'id="password-error"' in answer.get_data(as_text=True)


def test_every_bad_field_is_said_at_once(world: World) -> None:
    empty = {"username": "", "email": "", "password": "", "csrf_token": csrf(world.client)}
    answer = world.client.post("/sign-up", data=empty)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    for name in ("username", "email", "password"):
        assert f'id="{name}-error" role="alert"' in html, name
    bad = {
        "username": "x",
        "email": "notanemail",
        "password": "short",
        "csrf_token": csrf(world.client),
    }
    answer = world.client.post("/sign-up", data=bad)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    for name in ("username", "email", "password"):
        assert f'id="{name}-error" role="alert"' in html, name
    assert 'value="notanemail"' in html  # what was typed stays (but the password)
    signing_in = {"username": "", "password": "", "csrf_token": csrf(world.client, "/sign-in")}
    html = world.client.post("/sign-in", data=signing_in).get_data(as_text=True)
    assert 'id="username-error"' in html and 'id="password-error"' in html


def test_sign_out_ends_the_session(world: World) -> None:
    sign_up(world)
    answer = world.client.post("/sign-out", data={"csrf_token": csrf(world.client, "/account")})
    assert answer.status_code == 303 and answer.headers["Location"] == "/sign-in"
    assert all(s.revoked_at is not None for s in world.store.sessions.values())
    assert world.client.get("/account").status_code == 303


def test_logout_everywhere_signs_the_browser_out_on_its_next_request(world: World) -> None:
    sign_up(world)
    token = world.client.post(
        "/login", json={"username": "alice", "password": PASSWORD}
    ).get_json()["access_token"]
    world.client.post("/auth/logout?all=true", headers={"Authorization": f"Bearer {token}"})
    answer = world.client.get("/account")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/sign-in")
    assert any(c.startswith("firegate_session=;") for c in answer.headers.getlist("Set-Cookie"))


def test_get_verify_email_spends_nothing(world: World) -> None:
    sign_up(world)
    world.deliver()
    token = world.token("alice@example.com", "/verify-email")
    for _ in range(3):
        page = world.client.get("/verify-email", query_string={"token": token})
        assert page.status_code == 200 and token in page.get_data(as_text=True)
    assert not next(iter(world.store.users.values())).email_verified
    form = {"token": token, "csrf_token": csrf(world.client)}
    assert world.client.post("/verify-email", data=form).status_code == 200
    assert next(iter(world.store.users.values())).email_verified
    again = world.client.post("/verify-email", data={**form, "csrf_token": csrf(world.client)})
    assert again.status_code == 400 and 'role="alert"' in again.get_data(as_text=True)


def test_forgot_and_reset_set_the_password(world: World) -> None:
    sign_up(world)
    other = world.app.test_client()
    for address in ("alice@example.com", "nobody@example.com"):
        answer = other.post("/forgot-password", data={"email": address, "csrf_token": csrf(other)})
        assert answer.status_code == 200
    world.deliver()
    token = world.token("alice@example.com", "/reset-password")
    page = other.get("/reset-password", query_string={"token": token}).get_data(as_text=True)
    assert "passkeys" in page
    form = {"token": token, "new_password": "short", "csrf_token": csrf(other)}
    answer = other.post("/reset-password", data=form)
    assert answer.status_code == 422 and 'id="new_password-error"' in answer.get_data(as_text=True)
    form = {**form, "new_password": "another long passphrase", "csrf_token": csrf(other)}
    assert other.post("/reset-password", data=form).status_code == 303
    signed_in = {"username": "alice", "password": "another long passphrase"}
    answer = other.post("/sign-in", data={**signed_in, "csrf_token": csrf(other, "/sign-in")})
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"


def test_cookie_flags_in_the_local_profile(world: World) -> None:
    answer = world.client.get("/sign-in")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("firegate_csrf=") and "HttpOnly" in cookie and "Secure" not in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie


def test_cookie_flags_outside_the_local_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FIRESTORE", "FIREBASE_AUTH", "PUBSUB", "STORAGE"):
        monkeypatch.delenv(f"{name}_EMULATOR_HOST", raising=False)
    world = World(
        app_profile="production",
        public_url="https://id.example.com",
        smtp_url="smtp://mail.example.com:587",
        mail_from="id@example.com",
    )
    base = "https://id.example.com"
    answer = world.client.get("/sign-up", base_url=base)
    cookie = answer.headers["Set-Cookie"]
    assert (
        cookie.startswith("__Host-firegate_csrf=") and "Secure" in cookie and "HttpOnly" in cookie
    )
    html = answer.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    form = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    answer = world.client.post(
        "/sign-up",
        data={**form, "csrf_token": token.group(1)},
        base_url=base,
        headers={"Origin": base},
    )
    cookies = answer.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("__Host-firegate_session="))
    assert all(flag in session for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))
    device = next(c for c in cookies if c.startswith("__Host-firegate_device="))
    assert "HttpOnly" in device and "Max-Age=" in device


def test_the_page_posts_count_in_the_api_budgets() -> None:
    world = World(rate_limit_password_forgot="2/minute")
    token = csrf(world.client)
    world.client.post("/auth/password/forgot", json={"email": "a@example.com"})
    form = {"email": "a@example.com", "csrf_token": token}
    assert world.client.post("/forgot-password", data=form).status_code == 200
    answer = world.client.post("/forgot-password", data=form)
    assert answer.status_code == 429 and "Retry-After" in answer.headers
    assert answer.mimetype == "text/html"


# -- the site's root (docs/pages.md)

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_the_root_sends_a_browser_to_sign_in(world: World) -> None:
    for method in (world.client.get, world.client.head):
        answer = method("/", headers={"Accept": BROWSER_ACCEPT})
        assert answer.status_code == 303 and answer.headers["Location"] == "/sign-in"


def test_the_root_sends_a_signed_in_browser_to_its_account(world: World) -> None:
    sign_up(world)
    answer = world.client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/json, text/html;q=0.5"]
)
def test_the_root_is_still_a_json_404_for_an_api_client(world: World, accept: str | None) -> None:
    answer = world.client.get("/", headers={"Accept": accept} if accept else {})
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert body["code"] == "not_found" and body["status"] == 404 and "type" in body
