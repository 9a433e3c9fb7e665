"""Passkeys on the pages, on the fakes (docs/pages.md): the /account list with its rename and
delete forms, and the JSON endpoints the pages' script calls to add a passkey and to sign in
with one, with the software authenticator of tests/support/passkey_authenticator.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from domain.signin.passkeys import Passkey
from tests.support.api import PASSWORD, bearer, login
from tests.support.pages import csrf
from tests.support.passkey_authenticator import Passkey as SoftPasskey
from tests.support.passkey_pages import ACCOUNT, SECURITY, Pages, pages, sign_up

pytestmark = pytest.mark.unit
JSON = {"Accept": "application/json"}
SIGN_IN_FIRST = "/sign-in?next=%2Faccount"


@pytest.fixture
def world() -> Pages:
    return pages()


def meta_token(client: FlaskClient, path: str) -> str:
    """The token the script reads from the page's <meta name="csrf-token">."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found is not None
    return found.group(1)


def script_post(
    client: FlaskClient, path: str, body: object = None, *, token: str | None, **kwargs: Any
) -> TestResponse:
    """A POST as webauthn.js sends it: JSON, asking for JSON, the token in X-CSRF-Token."""
    headers = {**JSON, **({"X-CSRF-Token": token} if token is not None else {})}
    return client.post(path, json=body if body is not None else {}, headers=headers, **kwargs)


def add_passkey(client: FlaskClient, key: SoftPasskey, name: str = "laptop") -> dict[str, Any]:
    token = meta_token(client, ACCOUNT)
    options = script_post(client, "/account/passkeys/options", token=token)
    assert options.status_code == 200, options.get_json()
    body = {**key.register(options.get_json()), "name": name}
    made = script_post(client, "/account/passkeys", body, token=token)
    assert made.status_code == 201, made.get_json()
    result: dict[str, Any] = made.get_json()
    return result


def signed_up_with_a_passkey(world: Pages) -> tuple[SoftPasskey, Passkey]:
    sign_up(world.client)
    key = SoftPasskey()
    made = add_passkey(world.client, key)
    return key, world.passkeys.passkeys[made["id"]]


def sign_out(client: FlaskClient) -> None:
    answer = client.post("/sign-out", data={"csrf_token": csrf(client, ACCOUNT)})
    assert answer.status_code == 303


def passkey_sign_in(
    client: FlaskClient, key: SoftPasskey, next_path: str | None = None
) -> TestResponse:
    token = meta_token(client, "/sign-in")
    options = script_post(client, "/sign-in/passkey/options", token=token)
    assert options.status_code == 200, options.get_json()
    query = {"next": next_path} if next_path is not None else {}
    return script_post(
        client, "/sign-in/passkey", key.sign_in(options.get_json()), token=token, query_string=query
    )


# -- the pages as served


def test_the_passkey_controls_are_for_the_script_and_the_password_form_needs_none(
    world: Pages,
) -> None:
    html = world.client.get("/sign-in").get_data(as_text=True)
    assert 'autocomplete="username webauthn"' in html
    assert re.search(r'<div id="passkey-sign-in" hidden[ >]', html)  # shown by the script
    assert '<script src="/static/pages/webauthn.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handler
    script = world.client.get("/static/pages/webauthn.js")
    assert script.status_code == 200 and script.mimetype in (
        "text/javascript",
        "application/javascript",
    )
    assert "isConditionalMediationAvailable" in script.get_data(as_text=True)
    # The password form is whole without it.
    form = re.search(r'<form method="post" action="/sign-in[^"]*">(.*?)</form>', html, re.S)
    assert form is not None
    assert all(f'name="{name}"' in form.group(1) for name in ("csrf_token", "username", "password"))


def test_the_account_lists_passkeys_with_rename_and_delete_forms(world: Pages) -> None:
    sign_up(world.client)
    html = world.client.get(SECURITY).get_data(as_text=True)
    assert "No passkeys yet" in html
    assert re.search(r'<div id="passkey-add" hidden[ >]', html)
    made = add_passkey(world.client, SoftPasskey(), "laptop")
    stored = world.passkeys.passkeys[made["id"]]
    html = world.client.get(SECURITY).get_data(as_text=True)
    assert "<strong>laptop</strong>" in html and "<dd>Never</dd>" in html
    assert f'datetime="{stored.created_at.isoformat()}"' in html
    assert f'action="/account/passkeys/{stored.id}/rename"' in html
    assert f'action="/account/passkeys/{stored.id}/delete"' in html
    assert f'<label for="passkey-name-{stored.id}">' in html
    # Every input has its label, and every form its token.
    for name in re.findall(r'<input id="([^"]+)"', html):
        assert f'<label for="{name}">' in html
    assert html.count("<form ") == html.count('name="csrf_token"')


def test_add_rename_and_delete(world: Pages) -> None:
    c = world.client
    _, stored = signed_up_with_a_passkey(world)
    assert stored.name == "laptop" and stored.user_id in world.store.users

    form = {"name": "  work laptop ", "csrf_token": csrf(c, ACCOUNT)}
    answer = c.post(f"/account/passkeys/{stored.id}/rename", data=form)
    assert answer.status_code == 303
    assert answer.headers["Location"] == SECURITY + "?done=passkey-renamed"
    assert world.passkeys.passkeys[stored.id].name == "work laptop"
    html = c.get(answer.headers["Location"]).get_data(as_text=True)
    assert "<strong>work laptop</strong>" in html
    assert 'role="status">The passkey is renamed.' in html

    form = {"csrf_token": csrf(c, ACCOUNT)}
    answer = c.post(f"/account/passkeys/{stored.id}/delete", data=form)
    assert answer.status_code == 303
    assert answer.headers["Location"] == SECURITY + "?done=passkey-deleted"
    assert world.passkeys.passkeys == {}
    html = c.get(answer.headers["Location"]).get_data(as_text=True)
    assert "No passkeys yet" in html and 'role="status">The passkey is deleted.' in html


def test_a_refused_rename_is_shown_beside_its_field_and_changes_nothing(world: Pages) -> None:
    c = world.client
    _, stored = signed_up_with_a_passkey(world)
    path = f"/account/passkeys/{stored.id}/rename"
    for bad, status in (("x" * 65, 422), ("two\nlines", 422)):
        answer = c.post(path, data={"name": bad, "csrf_token": csrf(c, ACCOUNT)})
        html = answer.get_data(as_text=True)
        assert answer.status_code == status
        assert f'<span class="error" id="passkey-name-{stored.id}-error" role="alert">' in html
        assert f'aria-describedby="passkey-name-{stored.id}-error"' in html
        assert "<strong>laptop</strong>" in html  # the account page again, with the list
    assert world.passkeys.passkeys[stored.id].name == "laptop"


def test_another_users_or_an_unknown_passkey_is_not_found(world: Pages) -> None:
    _, stored = signed_up_with_a_passkey(world)
    bob = world.browser()
    sign_up(bob, "bob")
    for action, data in (("rename", {"name": "mine now"}), ("delete", {})):
        for passkey_id in (stored.id, "x" * 43, "not-an-id", ".."):
            form = {**data, "csrf_token": csrf(bob, ACCOUNT)}
            answer = bob.post(f"/account/passkeys/{passkey_id}/{action}", data=form)
            assert answer.status_code == 404, (action, passkey_id)
            assert 'role="alert">No such passkey.' in answer.get_data(as_text=True)
    assert world.passkeys.passkeys[stored.id].name == "laptop"


def test_the_rename_and_delete_forms_of_a_signed_out_browser_lead_to_sign_in(
    world: Pages,
) -> None:
    _, stored = signed_up_with_a_passkey(world)
    sign_out(world.client)
    for action in ("rename", "delete"):
        form = {"name": "x", "csrf_token": csrf(world.client, "/sign-in")}
        answer = world.client.post(f"/account/passkeys/{stored.id}/{action}", data=form)
        assert answer.status_code == 303 and answer.headers["Location"] == SIGN_IN_FIRST
    assert world.passkeys.passkeys[stored.id].name == "laptop"


def test_the_scripts_account_endpoints_are_401_signed_out(world: Pages) -> None:
    token = meta_token(world.client, "/sign-in")
    for path in ("/account/passkeys/options", "/account/passkeys"):
        answer = script_post(world.client, path, token=token)
        assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
        assert answer.get_json()["code"] == "signed_out"
    assert world.challenges.challenges == {}


# -- CSRF


@pytest.mark.parametrize("token", [None, "", "forged"], ids=["none", "empty", "forged"])
def test_a_script_post_without_a_valid_token_is_403_and_changes_nothing(
    world: Pages, token: str | None
) -> None:
    _, stored = signed_up_with_a_passkey(world)
    c = world.client
    challenges = dict(world.challenges.challenges)
    options = script_post(c, "/account/passkeys/options", token=meta_token(c, ACCOUNT))
    registration = {**SoftPasskey().register(options.get_json()), "name": "stolen"}
    sessions = len(world.store.sessions)
    for path, body in (
        ("/account/passkeys/options", {}),
        ("/account/passkeys", registration),
        ("/sign-in/passkey/options", {}),
        ("/sign-in/passkey", {}),
    ):
        answer = script_post(c, path, body, token=token)
        assert answer.status_code == 403, path
        assert answer.get_json()["code"] == "csrf_failed"
    assert list(world.passkeys.passkeys) == [stored.id]  # the registration was not stored
    assert len(world.challenges.challenges) == len(challenges) + 1  # only the one asked above
    assert len(world.store.sessions) == sessions


def test_the_scripts_errors_are_in_the_readers_language(world: Pages) -> None:
    # webauthn.js shows the answer's detail to the person as it is.
    c = world.client
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    token = meta_token(c, "/sign-in")
    bodies: list[object] = [{}, {"id": "!", "rawId": "!", "type": "public-key", "response": {}}, []]
    for body in bodies:
        answer = script_post(c, "/sign-in/passkey", body, token=token)
        assert 400 <= answer.status_code < 500, body
        detail = answer.get_json()["detail"]
        assert detail.startswith("No se pudo leer la respuesta de la llave de acceso"), detail


def test_the_forms_and_the_header_need_this_browsers_token(world: Pages) -> None:
    _, stored = signed_up_with_a_passkey(world)
    c = world.client
    other = world.browser()
    foreign = meta_token(other, "/sign-in")
    for path, data in (
        (f"/account/passkeys/{stored.id}/rename", {"name": "renamed"}),
        (f"/account/passkeys/{stored.id}/delete", {}),
    ):
        for sent in ({}, {"csrf_token": foreign}):
            assert c.post(path, data={**data, **sent}).status_code == 403
        # The header is the same token: another browser's does not do either.
        headers = {"X-CSRF-Token": foreign}
        assert c.post(path, data=data, headers=headers).status_code == 403
    answer = script_post(c, "/account/passkeys/options", token=foreign)
    assert answer.status_code == 403
    assert world.passkeys.passkeys[stored.id].name == "laptop"
    # From another site, even with this browser's token.
    token = meta_token(c, ACCOUNT)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = c.post(
            "/account/passkeys/options", json={}, headers={**JSON, "X-CSRF-Token": token, **headers}
        )
        assert answer.status_code == 403


def test_the_scripts_fetch_from_the_pages_own_origin_is_accepted(world: Pages) -> None:
    """fetch() sends the page's origin (not null, as forms do); locally the pages that use
    passkeys are on http://localhost:8000 while PUBLIC_URL says http://127.0.0.1:8000."""
    base = "http://localhost:8000"
    c = world.client
    token = meta_token(c, f"{base}/sign-in")  # the page, and its CSRF cookie, of that host
    for origin, status in ((base, 200), ("http://localhost:8001", 403), ("null", 200)):
        headers = {**JSON, "X-CSRF-Token": token, "Origin": origin, "Sec-Fetch-Site": "same-origin"}
        answer = c.post("/sign-in/passkey/options", json={}, headers=headers, base_url=base)
        assert answer.status_code == status, origin


# -- signing in with a passkey


@pytest.mark.parametrize(
    ("next_path", "lands"),
    [(None, ACCOUNT), ("/account?tab=2", "/account?tab=2"), ("//evil.example/x", ACCOUNT)],
)
def test_a_passkey_signs_the_browser_in_like_the_password(
    world: Pages, next_path: str | None, lands: str
) -> None:
    key, _ = signed_up_with_a_passkey(world)
    sign_out(world.client)
    assert world.client.get(ACCOUNT).status_code == 303
    answer = passkey_sign_in(world.client, key, next_path)
    assert answer.status_code == 200 and answer.get_json() == {"location": lands}
    cookies = answer.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("firegate_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session
    assert answer.headers["Cache-Control"] == "no-store"
    assert "alice" in world.client.get(ACCOUNT).get_data(as_text=True)
    # A firegate session like the API's, with the passkey's amr; the page shows its last use.
    live = [s for s in world.store.sessions.values() if s.revoked_at is None]
    assert [tuple(s.amr) for s in live] == [("hwk",)]
    assert "<dd>Never</dd>" not in world.client.get(SECURITY).get_data(as_text=True)


def test_a_refused_passkey_is_a_json_answer_in_the_readers_language(world: Pages) -> None:
    key, stored = signed_up_with_a_passkey(world)
    sign_out(world.client)
    del world.passkeys.passkeys[stored.id]
    answer = passkey_sign_in(world.client, key)
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["code"] == "unknown_passkey"  # the script's signal tells it apart
    assert answer.get_json()["detail"] == (
        "This passkey is not registered here: it may have been deleted. Use another way in."
    )
    assert not any(c.startswith("firegate_session=") for c in answer.headers.getlist("Set-Cookie"))
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    again = passkey_sign_in(world.client, key)
    assert again.get_json()["detail"] == (
        "Esta llave de acceso no está registrada aquí: puede que se haya eliminado. "
        "Usa otra forma de entrar."
    )


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b"[" * 1000 + b"]" * 1000, b"\xff"],
    ids=["malformed", "array", "deep", "not-utf8"],
)
def test_an_unreadable_body_is_400_never_500(world: Pages, body: bytes) -> None:
    sign_up(world.client)
    token = meta_token(world.client, ACCOUNT)
    headers = {**JSON, "X-CSRF-Token": token, "Content-Type": "application/json"}
    for path in ("/account/passkeys", "/sign-in/passkey"):
        answer = world.client.post(path, data=body, headers=headers)
        assert answer.status_code == 400, path
        assert answer.mimetype == "application/problem+json"


def test_a_registration_with_a_bad_name_is_422_and_stores_nothing(world: Pages) -> None:
    sign_up(world.client)
    c = world.client
    token = meta_token(c, ACCOUNT)
    for name in (42, "x" * 65):
        options = script_post(c, "/account/passkeys/options", token=token).get_json()
        body = {**SoftPasskey().register(options), "name": name}
        answer = script_post(c, "/account/passkeys", body, token=token)
        assert answer.status_code == 422 and "name" in answer.get_json()["errors"]
    assert world.passkeys.passkeys == {}


def test_the_page_passkey_sign_in_counts_in_the_api_budget() -> None:
    world = pages(rate_limit_passkeys="2/minute")
    c = world.client
    token = meta_token(c, "/sign-in")
    assert c.post("/auth/passkeys/authentication/options").status_code == 200
    assert script_post(c, "/sign-in/passkey/options", token=token).status_code == 200
    refused = script_post(c, "/sign-in/passkey/options", token=token)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.get_json()["code"] == "rate_limited"
    # The sign-in itself: the same counters as POST /auth/passkeys/authentication.
    assert c.post("/auth/passkeys/authentication", json={}).status_code == 422
    assert script_post(c, "/sign-in/passkey", token=token).status_code == 422
    assert script_post(c, "/sign-in/passkey", token=token).status_code == 429


def test_a_passkey_added_on_the_page_is_the_apis_too(world: Pages) -> None:
    _, stored = signed_up_with_a_passkey(world)
    listed = world.client.get("/auth/passkeys", headers=bearer(login(world.client)))
    assert [item["id"] for item in listed.get_json()["items"]] == [stored.id]


# -- an address where passkeys cannot work (docs/pages.md#passkeys)

WORKS = "http://localhost:8000"  # the local profile's WEBAUTHN_ORIGINS (PORT 8000)
ELSEWHERE = re.compile(r'<p class="notice" id="passkeys-elsewhere"( hidden)?>(.*?)</p>', re.S)


def elsewhere(html: str) -> tuple[bool, str]:
    """Whether the page says passkeys work at another address (not hidden), and what."""
    found = ELSEWHERE.search(html)
    assert found is not None, "no sentence about where passkeys work"
    return found[1] is None, found[2]


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8000", "http://localhost:8001", "http://[::1]:8000"]
)
def test_sign_in_on_an_address_without_passkeys_says_where_they_work(base: str) -> None:
    world = pages(webauthn_origins=[WORKS], webauthn_rp_id="localhost")
    html = world.client.get("/sign-in?next=/account/x", base_url=base).get_data(as_text=True)
    shown, said = elsewhere(html)
    assert shown
    link = f'<a href="{WORKS}/sign-in?next=%2Faccount%2Fx">{WORKS}</a>'
    assert said == f"Passkeys work on {link}: open this page there."
    # The script is told too: it offers no button on an address that is not one of them.
    assert re.search(rf'<div id="passkey-sign-in" hidden [^>]*data-origins="{WORKS}"', html)


def test_sign_in_on_the_passkeys_address_offers_them() -> None:
    world = pages(webauthn_origins=[WORKS], webauthn_rp_id="localhost")
    html = world.client.get("/sign-in", base_url=WORKS).get_data(as_text=True)
    shown, _ = elsewhere(html)
    assert not shown
    assert re.search(r'<div id="passkey-sign-in" hidden[ >]', html)  # shown by the script
    # A browser without passkeys is told so by the script, with this sentence.
    assert re.search(r'<p class="notice" id="passkeys-unsupported" hidden>[^<]+</p>', html)


def test_each_kept_sign_in_page_says_what_its_own_address_can_do() -> None:
    world = pages(webauthn_origins=[WORKS], webauthn_rp_id="localhost")
    for base, shown in [(WORKS, False), ("http://127.0.0.1:8000", True), (WORKS, False)]:
        html = world.client.get("/sign-in", base_url=base).get_data(as_text=True)
        assert elsewhere(html)[0] is shown, base


def test_the_account_page_on_an_address_without_passkeys_says_where_they_work() -> None:
    world = pages(webauthn_origins=[WORKS], webauthn_rp_id="localhost")
    base = "http://127.0.0.1:8000"
    html = world.client.get("/sign-up", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    form = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    answer = world.client.post("/sign-up", data={**form, "csrf_token": token[1]}, base_url=base)
    assert answer.status_code == 303
    html = world.client.get(SECURITY, base_url=base).get_data(as_text=True)
    shown, said = elsewhere(html)
    assert shown and said == (
        f'Passkeys work on <a href="{WORKS}/account/security">{WORKS}</a>: open this page there.'
    )
    here = world.client.get(SECURITY, base_url=WORKS)  # another host: signed out there
    assert here.status_code == 303
    spanish = world.client.get(SECURITY, base_url=base, headers={"Accept-Language": "es"})
    assert elsewhere(spanish.get_data(as_text=True))[0]


def test_behind_a_proxy_the_host_decides_whatever_the_scheme() -> None:
    """A proxy that ends TLS without ``TRUSTED_PROXY_HOPS`` makes the request look like http:
    the host is still the passkeys' address."""
    world = pages(
        public_url="https://id.example.com",
        webauthn_origins=["https://id.example.com"],
        webauthn_rp_id="id.example.com",
    )
    for base in ("https://id.example.com", "http://id.example.com", "https://id.example.com:443"):
        html = world.client.get("/sign-in", base_url=base).get_data(as_text=True)
        assert not elsewhere(html)[0], base
    # another address the service answers (a loopback one, in the local profile)
    html = world.client.get("/sign-in", base_url="http://127.0.0.1:8000").get_data(as_text=True)
    assert elsewhere(html)[0]


def test_passkey_first_sign_up_proves_the_address_then_adds_the_passkey(world: Pages) -> None:
    c = world.client
    html = c.get("/sign-up").get_data(as_text=True)
    assert '<a href="/sign-up/passkey?next=%2Faccount">Create with a passkey</a>' in html
    # Signed out: the address is proven first, by an e-mailed code.
    answer = c.get("/sign-up/passkey?next=/account")
    assert answer.status_code == 303
    assert answer.headers["Location"] == (
        "/sign-in/email-code?next=%2Fsign-up%2Fpasskey%3Fnext%3D%252Faccount"
    )
    sign_up(c)
    html = c.get("/sign-up/passkey?next=/account").get_data(as_text=True)
    done = 'data-done="/sign-up/recovery-codes?next=%2Faccount"'
    assert re.search(r'<div id="passkey-add" hidden[^>]* ' + re.escape(done), html)
    made = add_passkey(c, SoftPasskey())
    assert world.passkeys.passkeys[made["id"]].name == "laptop"


def test_no_passkey_first_sign_up_without_e_mailed_codes() -> None:
    html = pages(passwordless_email=False).client.get("/sign-up").get_data(as_text=True)
    assert "/sign-up/passkey" not in html
