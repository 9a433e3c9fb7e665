"""The account page on fakes (docs/pages.md): each form's success, each refusal beside its
field with the API's status, the CSRF defence, and the way in for a signed-out browser."""

from __future__ import annotations

import re

import pytest

from domain.accounts.users import User
from domain.signin.mfa import RECOVERY_CODES, TotpFactor
from domain.signin.sessions import Session
from tests.fakes.signin import FakeMfaRepository
from tests.support.account_pages import alice, api_works, enrol, html_of, send, world
from tests.support.app import World
from tests.support.pages import PASSWORD, csrf, sign_up
from tests.support.totp import next_code

__all__ = ["world"]  # a fixture, used here

pytestmark = pytest.mark.unit
NEW_PASSWORD = "another long passphrase"
# Every form of the page, with a form a person could send.
FORMS: list[tuple[str, dict[str, str]]] = [
    ("/account/profile", {"username": "carol", "email": "carol@example.com"}),
    ("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    ("/account/sessions/end-others", {}),
    ("/account/totp", {"password": PASSWORD}),
    ("/account/totp/confirm", {"code": "123456"}),
    ("/account/totp/disable", {"password": PASSWORD, "code": "123456"}),
    ("/account/totp/recovery-codes", {"password": PASSWORD, "code": "123456"}),
    ("/account/language", {"locale": "es"}),
    ("/account/delete", {"password": PASSWORD}),
]
SIGN_IN_FIRST = "/sign-in?next=%2Faccount"


def api_login(world: World, password: str = PASSWORD) -> str:
    """Another session of alice's, through the API."""
    answer = world.client.post("/login", json={"username": "alice", "password": password})
    assert answer.status_code == 200, answer.get_json()
    token: str = answer.get_json()["access_token"]
    return token


def error_beside(html: str, input_id: str) -> str:
    """The message shown beside the input ``input_id``, announced (role=alert)."""
    assert f'id="{input_id}" ' in html and f'aria-describedby="{input_id}-error"' in html
    found = re.search(rf'<span class="error" id="{input_id}-error" role="alert">([^<]+)<', html)
    assert found is not None, f"no message beside {input_id}"
    return found.group(1)


def state(world: World) -> tuple[dict[str, User], dict[str, Session], dict[str, TotpFactor]]:
    """The account's documents (each value a frozen dataclass): equal if nothing changed."""
    store = world.store
    return (dict(store.users), dict(store.sessions), dict(store.factors))


# -- the page


# Each form's section: where the form is, and where a refused one is shown again.
SECTION_OF = {
    "/account/profile": "/account",
    "/account/password": "/account/security",
    "/account/sessions/end-others": "/account/devices",
    "/account/totp": "/account/security",
    "/account/language": "/account",
    "/account/delete": "/account/delete",
}
SECTIONS = ("/account", *sorted(set(SECTION_OF.values()) - {"/account"}))


def test_each_section_has_its_forms_each_input_labelled(world: World) -> None:
    api_login(world)  # another session: it can be ended from here
    pages = {path: world.client.get(path) for path in (*SECTIONS, "/account/apps")}
    pages["/account/activity"] = world.client.get("/account/activity")
    for path, answer in pages.items():
        html = html_of(answer)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store", path
        assert 'action="/sign-out"' in html, path
        ids = re.findall(r'<(?:input|select) id="([^"]+)"', html)
        assert len(ids) == len(set(ids)), "every input's id is its own"
        for input_id in ids:
            assert f'<label for="{input_id}">' in html
    for action, section in SECTION_OF.items():
        assert f'action="{action}"' in html_of(pages[section]), action
    profile = html_of(pages["/account"])
    assert 'value="alice"' in profile and 'value="alice@example.com"' in profile
    assert "This browser" in html_of(pages["/account/devices"])
    assert 'name="locale"' in profile and '<option value="es" lang="es"' in profile


def test_the_sections_are_named_in_one_navigation_landmark(world: World) -> None:
    for path in (*SECTIONS, "/account/apps", "/account/activity"):
        html = html_of(world.client.get(path))
        nav = re.findall(r'<nav class="area" aria-label="Your account">(.*?)</nav>', html, re.S)
        assert len(nav) == 1, path
        links = re.findall(r'<a href="([^"]+)"', nav[0])
        assert links == [
            "/account",
            "/account/security",
            "/account/devices",
            "/account/apps",
            "/account/activity",
            "/account/orgs",
            "/account/delete",
        ]
        assert re.findall(r'<a href="([^"]+)" aria-current="page"', nav[0]) == [path]


def test_the_profiles_other_address_and_a_section_signed_out(world: World) -> None:
    answer = world.client.get("/account/profile")
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    other = world.app.test_client()
    answer = other.get("/account/devices")
    assert answer.headers["Location"] == "/sign-in?next=%2Faccount%2Fdevices"


def test_a_signed_out_browser_is_sent_to_sign_in(world: World) -> None:
    other = world.app.test_client()
    answer = other.get("/account")
    assert answer.status_code == 303 and answer.headers["Location"] == SIGN_IN_FIRST
    before = state(world)
    token = csrf(other, "/sign-in")  # a browser with a CSRF cookie, and no session
    for path, form in FORMS:
        answer = other.post(path, data={**form, "csrf_token": token})
        assert answer.status_code == 303 and answer.headers["Location"] == SIGN_IN_FIRST, path
    assert state(world) == before


@pytest.mark.parametrize(("path", "form"), FORMS, ids=[p for p, _ in FORMS])
def test_a_post_without_the_csrf_token_is_403_and_changes_nothing(
    world: World, path: str, form: dict[str, str]
) -> None:
    api_login(world)
    before = state(world)
    for token in ("", "forged"):
        answer = world.client.post(path, data={**form, "csrf_token": token})
        assert answer.status_code == 403 and 'role="alert"' in html_of(answer)
    assert state(world) == before
    assert world.client.get("/account").status_code == 200  # still signed in


def test_ending_a_session_needs_the_csrf_token(world: World) -> None:
    api_login(world)
    before = state(world)
    other = next(s.id for s in world.store.sessions.values() if "python" not in s.user_agent)
    answer = world.client.post(f"/account/sessions/{other}/end", data={"csrf_token": "forged"})
    assert answer.status_code == 403 and state(world) == before


# -- profile


def test_the_profile_is_saved(world: World) -> None:
    form = {"username": "alice2", "email": "alice@example.com", "name": "Alice", "last_name": ""}
    answer = send(world, "/account/profile", form)
    assert answer.status_code == 303 and answer.headers["Location"] == "/account?done=profile"
    user = alice(world)
    assert (user.shown_name, user.name, user.last_name) == ("alice2", "Alice", None)
    html = html_of(world.client.get(answer.headers["Location"]))
    assert "Your profile is saved." in html and 'value="Alice"' in html


def test_the_word_of_confirmation_is_in_the_pages_language(world: World) -> None:
    spanish = {"Accept-Language": "es"}
    html = html_of(world.client.get("/account?done=profile", headers=spanish))
    assert '<p class="notice" role="status">Tu perfil se ha guardado.</p>' in html
    assert 'role="status"' not in html_of(world.client.get("/account?done=nothing"))


def test_a_new_address_is_unproven_and_gets_its_mail(world: World) -> None:
    send(world, "/account/profile", {"username": "alice", "email": "new@example.com"})
    user = alice(world)
    assert user.email is not None and user.email.value == "new@example.com"
    assert not user.email_verified
    world.deliver()
    assert world.mailer.to("new@example.com")


@pytest.mark.parametrize(
    ("form", "status", "input_id", "says"),
    [
        ({"username": "bob", "email": "alice@example.com"}, 409, "profile-username", "already"),
        ({"username": "x", "email": "alice@example.com"}, 422, "profile-username", "3 to 32"),
        ({"username": "", "email": "alice@example.com"}, 422, "profile-username", "Required."),
        ({"username": "alice", "email": "bob@example.com"}, 409, "profile-email", "already"),
        ({"username": "alice", "email": "not an address"}, 422, "profile-email", "valid"),
        ({"username": "alice", "email": ""}, 422, "profile-email", "Required."),
        (
            {"username": "alice", "email": "alice@example.com", "name": "n" * 101},
            422,
            "profile-name",
            "at most 100",
        ),
    ],
)
def test_a_refused_profile_shows_why_beside_the_field(
    world: World, form: dict[str, str], status: int, input_id: str, says: str
) -> None:
    sign_up(world, "bob")  # bob's browser now; alice's page in a browser of her own
    other = world.app.test_client()
    form_in = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(other, "/sign-in")}
    assert other.post("/sign-in", data=form_in).status_code == 303
    before = state(world)
    answer = send(world, "/account/profile", form, client=other)
    html = html_of(answer)
    assert answer.status_code == status
    assert says in error_beside(html, input_id)
    # One message, beside its field (the passkeys' empty live region waits for the script).
    assert len(re.findall(r'role="alert">[^<]', html)) == 1
    if form["username"]:
        assert f'value="{form["username"]}"' in html  # what was typed, refilled
    assert state(world) == before


# -- password


def test_the_password_is_changed_and_this_browser_stays_signed_in(world: World) -> None:
    other = api_login(world)
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    answer = send(world, "/account/password", form)
    assert (
        answer.status_code == 303
        and answer.headers["Location"] == "/account/security?done=password"
    )
    assert not api_works(world, other), "every other session ends"
    page = world.client.get(answer.headers["Location"])
    assert page.status_code == 200 and "Your password is changed." in html_of(page)
    assert api_works(world, api_login(world, NEW_PASSWORD))


@pytest.mark.parametrize(
    ("form", "status", "input_id"),
    [
        ({"current_password": "not my password", "new_password": NEW_PASSWORD}, 403, "current"),
        ({"current_password": "", "new_password": NEW_PASSWORD}, 422, "current"),
        ({"current_password": PASSWORD, "new_password": "short"}, 422, "new"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, 422, "new"),
        ({"current_password": PASSWORD, "new_password": "password123"}, 422, "new"),
    ],
)
def test_a_refused_password_change_shows_why_beside_the_field(
    world: World, form: dict[str, str], status: int, input_id: str
) -> None:
    before = state(world)
    answer = send(world, "/account/password", form)
    html = html_of(answer)
    assert answer.status_code == status
    error_beside(html, f"password-{input_id}_password")
    assert PASSWORD not in html and NEW_PASSWORD not in html  # never refilled
    assert state(world) == before


def test_wrong_current_passwords_meet_the_login_throttle(world: World) -> None:
    form = {"current_password": "not my password", "new_password": NEW_PASSWORD}
    statuses = [send(world, "/account/password", form).status_code for _ in range(11)]
    assert statuses[:10] == [403] * 10
    last = send(world, "/account/password", form)
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 0
    assert 'role="alert"' in html_of(last)


# -- sessions


def test_the_sessions_are_listed_and_one_ends(world: World) -> None:
    world.client.environ_base["HTTP_USER_AGENT"] = "ThisBrowser/1.0"
    token = api_login(world)
    html = html_of(world.client.get("/account/devices"))
    ids = re.findall(r'action="/account/sessions/([^/"]+)/end"', html)
    assert len(ids) == 1 and html.count("This browser") == 1  # the other one can end
    answer = send(world, f"/account/sessions/{ids[0]}/end", {})
    assert (
        answer.status_code == 303 and answer.headers["Location"] == "/account/devices?done=session"
    )
    assert not api_works(world, token)
    assert "The session has ended." in html_of(world.client.get(answer.headers["Location"]))


def test_an_unknown_session_is_404_beside_the_sessions(world: World) -> None:
    answer = send(world, "/account/sessions/nosuchsession1234/end", {})
    html = html_of(answer)
    assert answer.status_code == 404
    section = html.split('id="sessions-heading"')[1].split("</section>")[0]
    assert 'class="error" role="alert"' in section and "No such session" in section


def test_all_other_sessions_end_and_this_one_stays(world: World) -> None:
    tokens = [api_login(world), api_login(world)]
    answer = send(world, "/account/sessions/end-others", {})
    assert (
        answer.status_code == 303 and answer.headers["Location"] == "/account/devices?done=sessions"
    )
    assert not any(api_works(world, token) for token in tokens)
    html = html_of(world.client.get(answer.headers["Location"]))
    assert "Your other sessions have ended." in html
    assert 'action="/account/sessions/end-others"' not in html  # no other one is left


def test_ending_this_browsers_own_session_signs_it_out(world: World) -> None:
    (mine,) = world.store.sessions
    answer = send(world, f"/account/sessions/{mine}/end", {})
    assert answer.status_code == 303 and answer.headers["Location"] == "/sign-in"
    assert world.client.get("/account").headers["Location"] == SIGN_IN_FIRST


# -- two-step sign-in


def test_totp_is_enrolled_from_the_page_and_signs_in(world: World) -> None:
    other = api_login(world)
    secret, codes = enrol(world)
    assert not api_works(world, other), "turning it on ends every other session"
    html = html_of(world.client.get("/account/security"))
    assert "Two-step sign-in is on" in html and f"Recovery codes left: {RECOVERY_CODES}." in html
    assert codes[0] not in html and secret not in html  # shown once, never again
    world.client.post("/sign-out", data={"csrf_token": csrf(world.client, "/account")})
    form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(world.client, "/sign-in")}
    assert world.client.post("/sign-in", data=form).headers["Location"].startswith("/sign-in/mfa")
    code = {
        "code": next_code(secret, world.client),
        "csrf_token": csrf(world.client, "/sign-in/mfa"),
    }
    assert world.client.post("/sign-in/mfa", data=code).status_code == 303
    assert world.client.get("/account").status_code == 200


def test_a_pending_enrolment_waits_for_its_code_and_can_start_again(world: World) -> None:
    send(world, "/account/totp", {"password": PASSWORD})
    html = html_of(world.client.get("/account/security"))
    assert 'action="/account/totp/confirm"' in html and "Start again" in html
    assert 'id="totp-secret"' not in html  # the secret is not shown again
    answer = send(world, "/account/totp/confirm", {"code": "000000"})
    assert answer.status_code == 403
    assert "not right" in error_beside(html_of(answer), "totp-confirm-code")
    again = send(world, "/account/totp", {"password": PASSWORD})
    assert again.status_code == 200 and 'id="totp-secret"' in html_of(again)


def test_a_wrong_password_does_not_start_an_enrolment(world: World) -> None:
    answer = send(world, "/account/totp", {"password": "not my password"})
    assert answer.status_code == 403
    assert error_beside(html_of(answer), "totp-start-password") == "This is not your password."
    assert world.store.factors == {}


def test_starting_again_when_on_is_a_conflict_shown_in_the_section(world: World) -> None:
    enrol(world)
    answer = send(world, "/account/totp", {"password": PASSWORD})
    html = html_of(answer)
    assert answer.status_code == 409
    section = html.split('id="totp-heading"')[1].split("</section>")[0]
    assert 'class="error" role="alert">Two-step sign-in is on already.' in section


def test_totp_is_turned_off_with_the_password_and_a_code(world: World) -> None:
    secret, codes = enrol(world)
    wrong_password = send(
        world, "/account/totp/disable", {"password": "not my password", "code": codes[0]}
    )
    assert wrong_password.status_code == 403
    error_beside(html_of(wrong_password), "totp-disable-password")
    wrong_code = send(world, "/account/totp/disable", {"password": PASSWORD, "code": "000000"})
    assert wrong_code.status_code == 403
    assert "not right" in error_beside(html_of(wrong_code), "totp-disable-code")
    assert alice(world).id in world.store.factors
    answer = send(
        world,
        "/account/totp/disable",
        {"password": PASSWORD, "code": next_code(secret, world.client)},
    )
    assert (
        answer.status_code == 303
        and answer.headers["Location"] == "/account/security?done=totp-off"
    )
    assert world.store.factors == {}
    html = html_of(world.client.get(answer.headers["Location"]))
    assert "Two-step sign-in is off." in html and "Set up two-step sign-in" in html


def test_new_recovery_codes_are_shown_once_and_void_the_old(world: World) -> None:
    _secret, old = enrol(world)
    wrong = send(world, "/account/totp/recovery-codes", {"password": PASSWORD, "code": "nope"})
    assert wrong.status_code == 403
    error_beside(html_of(wrong), "recovery-codes-code")
    answer = send(world, "/account/totp/recovery-codes", {"password": PASSWORD, "code": old[0]})
    html = html_of(answer)
    new = re.findall(r"<li><code>([^<]+)</code></li>", html)
    assert answer.status_code == 200 and len(new) == RECOVERY_CODES and not set(new) & set(old)
    assert "the old ones no longer work" in html
    assert new[0] not in html_of(world.client.get("/account/security"))


def test_the_page_reads_the_authenticator_with_the_session_check(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_second_read(self: object, user_id: str) -> None:
        raise AssertionError("the authenticator was read on its own")

    user = alice(world)
    monkeypatch.setattr(FakeMfaRepository, "get", no_second_read)
    assert "Set up two-step sign-in" in html_of(world.client.get("/account/security"))
    world.store.factors[user.id] = TotpFactor.pending(
        user_id=user.id, sealed_secret="sealed", now=world.clock.now()
    )
    html = html_of(world.client.get("/account/security"))  # a change made elsewhere: shown at once
    assert "Setup is waiting for a first code" in html


# -- language


def test_the_language_is_saved_and_the_page_speaks_it(world: World) -> None:
    answer = send(world, "/account/language", {"locale": "es"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/account?done=language"
    assert alice(world).locale == "es"
    html = html_of(world.client.get(answer.headers["Location"]))
    assert '<html lang="es">' in html and "Tu cuenta" in html
    assert '<option value="es" lang="es" selected>' in html
    send(world, "/account/language", {"locale": ""})
    assert alice(world).locale is None  # the browser's language again


def test_an_unknown_language_is_422_beside_the_select(world: World) -> None:
    send(world, "/account/language", {"locale": "es"})
    answer = send(world, "/account/language", {"locale": "fr"})
    assert answer.status_code == 422
    says = error_beside(html_of(answer), "language-locale")
    assert says == "Elige uno de los idiomas de la lista."  # the page's language, still
    assert alice(world).locale == "es"


# -- deletion


def test_deleting_needs_the_password(world: World) -> None:
    answer = send(world, "/account/delete", {"password": "not my password"})
    assert answer.status_code == 403
    error_beside(html_of(answer), "delete-password")
    empty = send(world, "/account/delete", {"password": ""})
    assert empty.status_code == 422 and error_beside(html_of(empty), "delete-password")
    assert alice(world).deleted_at is None


def test_the_account_is_deleted_and_the_browser_signed_out(world: World) -> None:
    user_id = alice(world).id
    answer = send(world, "/account/delete", {"password": PASSWORD})
    assert answer.status_code == 303 and answer.headers["Location"] == "/sign-in?deleted=1"
    cookies = answer.headers.getlist("Set-Cookie")
    assert any(c.startswith("firegate_session=;") for c in cookies)
    assert user_id not in world.store.users and not world.store.sessions
    page = world.client.get(answer.headers["Location"])
    assert "Your account is deleted." in html_of(page)
    assert world.client.get("/account").headers["Location"] == SIGN_IN_FIRST
    sign_up(world)  # the name and address are free again


@pytest.mark.parametrize(
    ("path", "form"),
    [("/sign-out", {}), ("/account/delete", {"password": PASSWORD})],
    ids=["sign-out", "delete"],
)
def test_signing_out_after_a_renewal_sets_no_session_again(
    world: World, path: str, form: dict[str, str]
) -> None:
    """The access token had expired, so this request renewed the session's tokens; the
    browser signed out must not get the renewed ones back."""
    token = csrf(world.client, "/account")
    cookie = world.client.get_cookie("firegate_session")
    assert cookie is not None
    refresh_token = cookie.value.partition("~")[2]
    world.client.set_cookie("firegate_session", "expired~" + refresh_token)
    answer = world.client.post(path, data={**form, "csrf_token": token})
    assert answer.status_code == 303
    sessions = [c for c in answer.headers.getlist("Set-Cookie") if "firegate_session=" in c]
    assert sessions and all(c.startswith("firegate_session=;") for c in sessions)
