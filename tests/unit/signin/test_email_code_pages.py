"""The pages of sign-in by e-mail code on fakes (docs/pages.md): the address, the code (a
pasted code with spaces works), the second step and an org's single sign-on as the password
form goes, and the mail's link: a GET spends nothing; the asking browser gets one button,
another browser the code and no session."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.support.api import register
from tests.support.app import World
from tests.support.email_codes import code_in, link_in
from tests.support.pages import csrf
from tests.support.totp import register_with_totp

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    return World()


def ask(world: World, client: FlaskClient, email: str) -> str:
    """The code page's path, after asking for a code in ``client``."""
    token = csrf(client, "/sign-in/email-code")
    answer = client.post("/sign-in/email-code", data={"email": email, "csrf_token": token})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert location.startswith("/sign-in/email-code/verify?flow=")
    cookie = answer.headers["Set-Cookie"]
    assert "firegate_email-code=" in cookie and "HttpOnly" in cookie
    return location


def last_mail(world: World, email: str) -> str:
    world.deliver()
    return [m for m in world.mailer.to(email) if "/sign-in/email?" in m.text][-1].text


def test_the_sign_in_page_offers_a_code_unless_it_is_off() -> None:
    on = World().client.get("/sign-in").get_data(as_text=True)
    assert 'href="/sign-in/email-code?next=%2Faccount"' in on
    off = World(passwordless_email=False).client.get("/sign-in").get_data(as_text=True)
    assert "/sign-in/email-code" not in off


def test_a_pasted_code_signs_in_and_the_code_field_is_one_time(world: World) -> None:
    path = ask(world, world.client, "lea@example.com")
    html = world.client.get(path).get_data(as_text=True)
    assert re.search(
        r'<input id="code" name="code" type="text" autocomplete="one-time-code"'
        r' inputmode="numeric"',
        html,
    )
    code = code_in(last_mail(world, "lea@example.com"))
    pasted = f" {code[:3]} {code[3:]} "
    answer = world.client.post(path, data={"code": pasted, "csrf_token": csrf(world.client, path)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    assert world.client.get("/account").status_code == 200


def test_a_wrong_code_stays_on_the_page_with_its_message(world: World) -> None:
    path = ask(world, world.client, "lea@example.com")
    code = code_in(last_mail(world, "lea@example.com"))
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answer = world.client.post(path, data={"code": wrong, "csrf_token": csrf(world.client, path)})
    assert answer.status_code == 401
    assert "That code is not right; try again." in answer.get_data(as_text=True)


def test_a_second_factor_continues_to_its_page(world: World) -> None:
    register_with_totp(world.client, "max")
    world.deliver()
    world.store.users.update(
        {
            uid: user.with_email_verified(user.updated_at)
            for uid, user in world.store.users.items()
            if user.shown_name == "max"
        }
    )
    path = ask(world, world.client, "max@example.com")
    code = code_in(last_mail(world, "max@example.com"))
    answer = world.client.post(path, data={"code": code, "csrf_token": csrf(world.client, path)})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/sign-in/mfa?next=%2Faccount"


def test_the_link_signs_in_the_asking_browser_after_one_click(world: World) -> None:
    ask(world, world.client, "ned@example.com")
    link, token = link_in(last_mail(world, "ned@example.com"))
    path = link.removeprefix("http://127.0.0.1:8000")
    for _ in range(3):  # GETs spend nothing
        shown = world.client.get(path)
        assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert 'action="/sign-in/email?token=' in html and "Type this code" not in html
    answer = world.client.post(path, data={"csrf_token": csrf(world.client, path)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    assert world.client.get("/account").status_code == 200
    assert token


def test_the_link_elsewhere_shows_the_code_and_opens_no_session(world: World) -> None:
    register(world.client, "ola")
    asked = ask(world, world.client, "ola@example.com")
    text = last_mail(world, "ola@example.com")
    link, _ = link_in(text)
    path = link.removeprefix("http://127.0.0.1:8000")
    phone = world.app.test_client()
    html = phone.get(path).get_data(as_text=True)
    assert code_in(text) in html and "Type this code where you asked for it:" in html
    assert 'action="/sign-in/email?' not in html
    refused = phone.post(path, data={"csrf_token": csrf(phone, "/sign-in")})
    assert refused.status_code == 403
    assert phone.get("/account").status_code == 303  # no session: on to /sign-in
    # Nor does the code shown there open one in another browser with the flow's id (seen in
    # the asking page's address): the flow is the asking browser's.
    stolen = phone.post(asked, data={"code": code_in(text), "csrf_token": csrf(phone, asked)})
    assert stolen.status_code == 401 and phone.get("/account").status_code == 303
    flow_id = asked.split("flow=", 1)[1].split("&", 1)[0]
    by_api = phone.post("/auth/email-code/verify", json={"flow_id": flow_id, "code": code_in(text)})
    assert by_api.status_code == 401 and by_api.get_json()["code"] == "invalid_email_flow"
    # The asking browser's code still works.
    done = world.client.post(
        asked, data={"code": code_in(text), "csrf_token": csrf(world.client, asked)}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/account"


def test_the_pages_speak_spanish(world: World) -> None:
    html = world.client.get("/sign-in/email-code", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    assert "Envíame un código" in html


def test_forged_posts_without_the_csrf_token_are_403_and_change_nothing(world: World) -> None:
    register(world.client, "lea")
    forger = world.app.test_client()
    forger.get("/sign-in")
    asked = forger.post("/sign-in/email-code", data={"email": "lea@example.com"})
    assert asked.status_code == 403
    world.deliver()
    assert all("/sign-in/email?" not in m.text for m in world.mailer.to("lea@example.com"))
    path = ask(world, world.client, "lea@example.com")
    code = code_in(last_mail(world, "lea@example.com"))
    forged = world.client.post(path, data={"code": code})  # no token: no session
    assert forged.status_code == 403
    _, token = link_in(last_mail(world, "lea@example.com"))
    link = world.client.post(f"/sign-in/email?token={token}", data={})
    assert link.status_code == 403
    signed = world.client.post(path, data={"code": code, "csrf_token": csrf(world.client, path)})
    assert signed.status_code == 303  # the code was not spent by the forged posts


@pytest.mark.parametrize(
    ("language", "said", "wait"),
    [
        ("en", "Too many attempts; try again later.", "You can try again in"),
        ("es", "Demasiados intentos", "Puedes volver a intentarlo en"),
    ],
)
def test_past_its_request_limit_the_code_page_shows_its_form_and_when(
    language: str, said: str, wait: str
) -> None:
    """The per-address limit (RATE_LIMIT_EMAIL_CODE) refuses before the route runs: the page
    is the form again, the address kept, the message and Retry-After (docs/pages.md)."""
    world = World(rate_limit_email_code="2/minute", rate_limit_password_forgot="")
    client = world.client
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    for n in range(2):
        token = csrf(client, "/sign-in/email-code")
        form = {"email": f"lea{n}@example.com", "csrf_token": token}
        assert client.post("/sign-in/email-code", data=form).status_code == 303
    token = csrf(client, "/sign-in/email-code")
    form = {"email": "lea9@example.com", "csrf_token": token}
    answer = client.post("/sign-in/email-code?next=%2Faccount%2Forgs", data=form)
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 120
    html = answer.get_data(as_text=True)
    assert 'role="alert"' in html and said in html and wait in html
    assert 'action="/sign-in/email-code?next=%2Faccount%2Forgs"' in html  # the form again
    assert 'value="lea9@example.com"' in html  # what was typed
    world.deliver()
    assert world.mailer.to("lea9@example.com") == []  # nothing asked


def test_the_code_requests_have_a_limit_of_their_own() -> None:
    """RATE_LIMIT_EMAIL_CODE, apart from password recovery's RATE_LIMIT_PASSWORD_FORGOT."""
    world = World(rate_limit_email_code="3/minute", rate_limit_password_forgot="1/minute")
    client = world.client
    forgot = {"email": "max@example.com"}
    assert client.post("/auth/password/forgot", json=forgot).status_code == 202
    assert client.post("/auth/password/forgot", json=forgot).status_code == 429
    for n in range(3):
        asked = client.post("/auth/email-code", json={"email": f"lea{n}@example.com"})
        assert asked.status_code == 202, asked.get_json()
    refused = client.post("/auth/email-code", json={"email": "lea9@example.com"})
    assert refused.status_code == 429 and refused.get_json()["code"] == "rate_limited"
