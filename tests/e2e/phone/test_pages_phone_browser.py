"""Every page on a phone and on a desktop, in a real browser (docs/pages.md, "On a phone"):
Debian's Chromium at 375 px wide scrolls no page sideways (``scrollWidth <= clientWidth``),
every button and field can be tapped (44 px high), no page shows a user agent's text, and
axe-core finds nothing serious in English or Spanish. On a 375 by 667 px screen each account
section's heading starts in the top 40 %, and a new personal token is shown without
scrolling. `make screenshots` saves each page at 375 and 1280 px here."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import Page

from infrastructure.firestore.accounts.users import PHONE_NUMBERS, USERS
from infrastructure.firestore.client import claim_id
from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, violations
from tests.support.phone_pages import new_number, phone_sign_in_served, texted_code
from tests.support.servers import cli

pytestmark = pytest.mark.e2e
PHONE, DESKTOP = 375, 1280
TAP = 44  # px: the height of anything a finger presses
SCREENSHOTS = os.environ.get("PAGES_SCREENSHOTS", "")
SIGNED_OUT = (
    ("sign-in", "/sign-in"),
    ("sign-up", "/sign-up"),
    ("forgot-password", "/forgot-password"),
    ("reset-password", "/reset-password?token=x"),
    ("verify-email", "/verify-email?token=x"),
    ("not-me", "/not-me?token=x"),
    ("sign-in-mfa", "/sign-in/mfa"),  # shown to a browser holding a first step's token
)
# Shown only by a server with phone sign-in on (PHONE_SIGN_IN and a send_sms hook)
PHONE_SIGN_IN = (
    ("sign-in-phone", "/sign-in"),  # with "Text me a code"
    ("sign-in-phone-code", "/sign-in/phone-code"),
    ("sign-in-phone-code-verify", "/sign-in/phone-code/verify?flow=x"),
)
SECTIONS = (
    ("account", "/account"),  # with the account's phone number
    ("account-security", "/account/security"),
    ("account-devices", "/account/devices"),
    ("account-apps", "/account/apps"),
    ("account-activity", "/account/activity"),
    ("account-delete", "/account/delete"),
    ("admin", "/admin"),
    ("admin-hooks", "/admin/hooks"),
    ("admin-auth-hooks", "/admin/hooks/auth"),
)
# What a page measures of itself: how wide it scrolls, and what is too small to tap.
MEASURE = """() => {
  const page = document.scrollingElement;
  const small = [...document.querySelectorAll("button, input:not([type=hidden]), select, .area a")]
    .filter((node) => node.offsetParent !== null)
    .filter((node) => node.getBoundingClientRect().height < TAP)
    .map((node) => node.outerHTML.slice(0, 80));
  return {scrollWidth: page.scrollWidth, clientWidth: page.clientWidth, small: small};
}""".replace("TAP", str(TAP))
REDIRECT = "https://app.example.com/callback"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


def shoot(page: Page, name: str, width: int) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}-{width}.png"), full_page=True)


def second_step(page: Page, base: str) -> None:
    """The cookie the first step of signing in leaves: the second step's page is then shown
    (its token is checked when the code is sent)."""
    page.context.add_cookies([{"name": "firegate_mfa", "value": "t", "url": base}])


def measured(page: Page, base: str, path: str) -> dict[str, Any]:
    page.goto(base + path)
    found: dict[str, Any] = page.evaluate(MEASURE)
    found["agent"] = "Mozilla/" in page.inner_text("body")
    return found


@pytest.fixture(scope="module")
def people(gunicorn_url: str, emulators: Any, firestore_client: Any) -> str:
    """An admin with another session and some activity: every list on the pages has rows;
    with a proven phone number, so the profile shows its section (with phone sign-in off,
    the number and its removal)."""
    name = "a" + uuid.uuid4().hex[:10]
    with chromium(javascript=False) as page:
        page.goto(gunicorn_url + "/sign-up")
        fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url(gunicorn_url + "/account")
    cli(["users", "set-role", name, "admin"])
    with_a_number(firestore_client, gunicorn_url, name, "+336" + str(uuid.uuid4().int)[:8])
    for agent in (CHROME_ANDROID, "curl/8.5.0"):
        answer = requests.post(
            gunicorn_url + "/login",
            json={"username": name, "password": PASSWORD},
            headers={"User-Agent": agent},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
    requests.post(gunicorn_url + "/login", json={"username": name, "password": "wrong"}, timeout=30)
    return name


def with_a_number(firestore: Any, base: str, name: str, number: str) -> None:
    """The account ``name`` holds ``number``, proven, as a code's proof leaves it: its field and
    its claim."""
    body = {"username": name, "password": PASSWORD}
    token = requests.post(base + "/login", json=body, timeout=30).json()["access_token"]
    me = requests.get(base + "/user", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    user_id = me.json()["id"]
    firestore.collection(PHONE_NUMBERS).document(claim_id(number)).create(
        {"user_id": user_id, "kind": PHONE_NUMBERS}
    )
    firestore.collection(USERS).document(user_id).update(
        {"phone_number": number, "phone_number_verified": True}
    )


@pytest.fixture(scope="module")
def consent() -> tuple[str, str]:
    """The provider's consent page, for an app the person has not allowed."""
    out = cli(["clients", "create", "--name", "Phone App", "--redirect-uri", REDIRECT])
    client_id = json.loads(out.strip().splitlines()[-1])["client_id"]
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid email",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    return "consent", "/oauth/authorize?" + urlencode(query)


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(base + "/sign-in")
    fill(page, username=name, password=PASSWORD)
    page.locator("form[action^='/sign-in?'] button[type=submit]").click()
    page.wait_for_url(base + "/account")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_page_fits_the_screen_and_every_button_can_be_tapped(
    gunicorn_url: str, people: str, consent: tuple[str, str], width: int
) -> None:
    base, found = gunicorn_url, {}
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": width, "height": 800})
        second_step(page, base)
        for name, path in SIGNED_OUT:
            found[path] = measured(page, base, path)
            shoot(page, name, width)
        sign_in(page, base, people)
        for name, path in (*SECTIONS, consent):
            found[path] = measured(page, base, path)
            shoot(page, name, width)
        assert page.locator("button[value=deny]").count() == 1, "the consent page, last"
        page.goto(base + "/admin?prefix=" + people)
        page.get_by_role("link", name=people, exact=True).click()
        # Measured once the account's page has loaded: right after the click the document
        # may still be the list's, unloading (no body to measure).
        page.wait_for_url("**/admin/users/*")
        page.wait_for_load_state()
        found["/admin/users/<id>"] = page.evaluate(MEASURE) | {"agent": False}
        shoot(page, "admin-user", width)
    wide = {
        path: f["scrollWidth"] for path, f in found.items() if f["scrollWidth"] > f["clientWidth"]
    }
    assert wide == {}, "scrolls sideways"
    assert {path: f["small"] for path, f in found.items() if f["small"]} == {}
    assert [path for path, f in found.items() if f["agent"]] == []


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_no_serious_accessibility_violation_on_any_page_in_either_language(
    gunicorn_url: str, people: str, consent: tuple[str, str], locale: str
) -> None:
    base, found = gunicorn_url, {}
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 800})
        second_step(page, base)
        for _, path in SIGNED_OUT:
            page.goto(base + path)
            found[path] = violations(page)
        sign_in(page, base, people) if locale == "en-US" else sign_in_es(page, base, people)
        for _, path in (*SECTIONS, consent):
            page.goto(base + path)
            found[path] = violations(page)
    assert found == {path: [] for path in found}


def test_the_phone_sign_in_pages_fit_the_screen_and_are_accessible_in_either_language(
    emulators: Any,
) -> None:
    found: dict[str, Any] = {}
    with phone_sign_in_served("gunicorn-phone-pages.log") as (base, _):
        for locale in ("en-US", "es-ES"):
            with chromium(javascript=True, locale=locale) as page:
                for width in (PHONE, DESKTOP):
                    page.set_viewport_size({"width": width, "height": 800})
                    for name, path in PHONE_SIGN_IN:
                        measure = measured(page, base, path)
                        found[f"{locale} {width} {path}"] = measure | {"axe": violations(page)}
                        if locale == "en-US":
                            shoot(page, name, width)
    assert {key: f for key, f in found.items() if f["scrollWidth"] > f["clientWidth"]} == {}
    assert {key: f["small"] for key, f in found.items() if f["small"]} == {}
    assert {key: f["axe"] for key, f in found.items() if f["axe"] or f["agent"]} == {}
    assert len(found) == 2 * 2 * len(PHONE_SIGN_IN)


def sign_in_es(page: Page, base: str, name: str) -> None:
    """Signed in, the pages speak the account's language (English, from its sign-up): the
    signed-in pages are checked in Spanish by choosing it on the profile."""
    sign_in(page, base, name)
    page.goto(base + "/account")
    page.select_option("#language-locale", "es")
    page.locator("form[action='/account/language'] button").click()
    page.wait_for_url(base + "/account?done=language")
    assert page.locator("html").get_attribute("lang") == "es"


PHONE_HEIGHT = 667  # an iPhone SE's screen, the smallest in common use
ACCOUNT_SECTIONS = [path for _, path in SECTIONS if path.startswith("/account")]
# Where an element is on the first screen (the page not scrolled): its top and bottom.
PLACED = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return {top: box.top + window.scrollY, bottom: box.bottom + window.scrollY};
}"""


def test_on_a_phone_each_sections_heading_and_a_new_token_are_on_the_first_screen(
    gunicorn_url: str, people: str
) -> None:
    base, tops = gunicorn_url, {}
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": PHONE, "height": PHONE_HEIGHT})
        sign_in(page, base, people)
        for path in ACCOUNT_SECTIONS:
            page.goto(base + path)
            tops[path] = page.evaluate(PLACED, "main h1")["top"]
        page.goto(base + "/account/apps")
        page.fill("#token-create-name", "phone check")
        page.locator("form[action='/account/tokens'] button[type=submit]").click()
        page.wait_for_url(base + "/account/tokens")
        token = page.evaluate(PLACED, "#new-token")
        shoot(page, "account-new-token", PHONE)
    low = {path: top for path, top in tops.items() if top > 0.4 * PHONE_HEIGHT}
    assert low == {}, f"headings below the top 40 % of {PHONE_HEIGHT} px"
    assert token["top"] >= 0 and token["bottom"] <= PHONE_HEIGHT, token


def signed_up_by_text(page: Page, base: str, receiver: Any, number: str) -> None:
    """A person signs up on the pages with a code texted to ``number``: on to /account."""
    page.goto(base + "/sign-in/phone-code")
    fill(page, phone_number=number)
    page.locator("form[action^='/sign-in/phone-code'] button[type=submit]").click()
    page.wait_for_url("**/sign-in/phone-code/verify?**")
    fill(page, code=texted_code(receiver, number))
    page.locator("form[action^='/sign-in/phone-code/verify'] button[type=submit]").click()
    page.wait_for_url(base + "/account")


def test_the_account_phone_section_and_the_invitation_to_choose_a_name_fit_and_are_accessible(
    emulators: Any,
) -> None:
    """Signed up by a texted code, in English and in Spanish: the profile invites the person
    to choose a username; a change of number waits, its new code's button naming the number,
    shown as people write it; the removal a quiet button. At 375 and 1280 px, axe-clean."""
    found: dict[str, Any] = {}
    with phone_sign_in_served("gunicorn-phone-account.log") as (base, receiver):
        for locale, words in (("en-US", ENGLISH), ("es-ES", SPANISH)):
            with chromium(javascript=True, locale=locale) as page:
                signed_up_by_text(page, base, receiver, new_number())
                invitation = page.locator("#choose-username")
                assert words["choose"] in invitation.inner_text()
                link = invitation.get_by_role("link")
                assert link.get_attribute("href") == "#profile-username"
                assert page.locator("#profile-username").count() == 1  # the field it leads to
                changed_to = new_number()
                fill(page, phone_number=changed_to)
                page.locator("form[action='/account/phone'] button[type=submit]").click()
                page.wait_for_url(base + "/account?done=phone-sent")
                shown = page.locator("#phone-number").inner_text()
                again = page.locator("form[action='/account/phone/again'] button")
                assert again.inner_text() == words["again"] + " " + people_format(changed_to)
                assert (
                    page.locator("form[action='/account/phone/remove'] button").get_attribute(
                        "class"
                    )
                    == "quiet"
                )
                assert shown.startswith("+33 6 ") and "+336" not in shown
                for width in (PHONE, DESKTOP):
                    page.set_viewport_size({"width": width, "height": 800})
                    page.goto(base + "/account")
                    found[f"{locale} {width}"] = page.evaluate(MEASURE) | {"axe": violations(page)}
                    if locale == "en-US":
                        shoot(page, "account-phone-change", width)
    assert {key: f for key, f in found.items() if f["scrollWidth"] > f["clientWidth"]} == {}
    assert {key: f["small"] for key, f in found.items() if f["small"]} == {}
    assert {key: f["axe"] for key, f in found.items() if f["axe"]} == {}
    assert len(found) == 4


ENGLISH = {"choose": "Choose your username", "again": "Send a new code to"}
SPANISH = {"choose": "Elige tu nombre de usuario", "again": "Enviar un código nuevo al"}


def people_format(number: str) -> str:
    """A French mobile number (``new_number``'s) in its international format."""
    national = number[3:]
    return f"+33 {national[0]} " + " ".join(national[i : i + 2] for i in range(1, 9, 2))
