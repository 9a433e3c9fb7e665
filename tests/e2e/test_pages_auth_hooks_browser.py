"""/admin/hooks/auth in a real browser on gunicorn and the emulators (docs/pages.md, "Auth
hooks"), in English and Spanish at 375 px: an admin sets a hook and copies its secret once,
sees its last calls, removes it; a forged post (the browser's cookies, no CSRF token) is
refused and changes nothing; with 64 calls kept the page scrolls no sideways at 375 and
1280 px and stays a few screens tall; axe-core finds nothing serious on any of these pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.hooks.auth_hooks import AuthHook, CallOutcome, HookCall
from infrastructure.firestore.hooks.auth_hooks import (
    AUTH_HOOKS,
    CALLS,
    FirestoreAuthHooks,
    call_to_doc,
)
from tests.support.browser import chromium, fill, phone_checked, shoot, signed_up
from tests.support.hook_kinds import BEFORE_TOKEN
from tests.support.hook_receiver import hook_receiver
from tests.support.servers import cli

pytestmark = pytest.mark.e2e
PAGE = "/admin/hooks/auth"
URL = "http://127.0.0.1:9/hook"
WORDS = {
    "en-US": (
        "Create account",
        "Auth hooks",
        "Set the hook",
        "Remove the before_token hook",
        "No auth hook yet.",
    ),
    "es-ES": (
        "Crear cuenta",
        "Ganchos de autenticación",
        "Configurar el gancho",
        "Quitar el gancho before_token",
        "Aún no hay ningún gancho de autenticación.",
    ),
}


def token_hook(store: FirestoreAuthHooks) -> AuthHook | None:
    """The before_token hook set (the tests set one at most)."""
    found = [hook for hook in store.list_all() if hook.kind == BEFORE_TOKEN.name]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_an_admin_sets_a_hook_sees_its_calls_and_removes_it(
    gunicorn_url: str, firestore: Any, locale: str
) -> None:
    create, title, set_it, remove_it, empty = WORDS[locale]
    base, store = gunicorn_url, FirestoreAuthHooks(firestore)
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": 375, "height": 800})
        cli(["users", "set-role", signed_up(page, base, "a", button=create), "admin"])
        page.goto(base + "/admin")
        page.get_by_role("link", name=title).click()
        page.wait_for_url(base + PAGE)
        assert empty in page.inner_text("main")
        phone_checked(page)

        # Refused: a deadline past 5 s, said beside its field.
        page.select_option("#hook-kind", "before_token")
        fill(page, url=URL, timeout_ms="9000")
        page.get_by_role("button", name=set_it).click()
        page.locator("#hook-timeout_ms-error[role=alert]").wait_for()  # the answer's page
        assert token_hook(store) is None
        phone_checked(page)

        fill(page, timeout_ms="1500")
        page.get_by_role("button", name=set_it).click()
        secret = page.locator("#secret").input_value()
        assert secret.startswith("whsec_")
        phone_checked(page)
        hook = token_hook(store)
        assert hook is not None and (hook.url, hook.timeout_ms) == (URL, 1500)

        # Its calls as firegate keeps them: the page lists them, never the secret. Each call
        # overwrites one of 100 slots drawn at random (docs/decisions/0486-auth-hooks.md): the
        # newest is always there, an older one may be gone, so each is looked for as newest.
        at = datetime.now(UTC)
        store.record(hook, HookCall(hook.hook_id, at, 7, CallOutcome.OK, 200))
        page.goto(base + PAGE)
        assert URL in page.inner_text("main") and "7 ms" in page.inner_text("main")
        late = HookCall(
            hook.hook_id, at + timedelta(seconds=1), 1500, CallOutcome.TIMEOUT, None, "late"
        )
        store.record(hook, late)
        page.goto(base + PAGE)
        main = page.inner_text("main")
        assert URL in main and "1500 ms" in main and "late" in main
        assert secret not in page.content()
        phone_checked(page)

        # A forged post from this browser (its cookies, no CSRF token) changes nothing.
        forged = page.request.post(
            base + PAGE, form={"kind": "before_token", "url": URL + "2", "timeout_ms": "10"}
        )
        assert forged.status == 403
        forged_removal = page.request.post(f"{base}{PAGE}/{hook.hook_id}/remove")
        assert forged_removal.status == 403
        assert token_hook(store) == hook

        page.get_by_role("button", name=remove_it).click()
        page.wait_for_url(base + PAGE + "?done=removed")
        assert empty in page.inner_text("main")
        assert token_hook(store) is None
        phone_checked(page)


# A word wider than its cell was broken inside (the cells keep words whole): each word of
# each cell measured in the cell's own font against the cell's width.
BROKEN_WORDS = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const broken = [];
  for (const cell of document.querySelectorAll("main th, main td")) {
    const style = getComputedStyle(cell);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    for (const word of cell.innerText.split(/\\s+/)) {
      if (word && !cell.querySelector(".wrap") && canvas.measureText(word).width > room + 1) {
        broken.push(word);
      }
    }
  }
  return broken;
}"""
TESTED = {
    "en-US": ("Test the before_token hook", "Every sample was answered as the kind asks.",
              "Your account"),
    "es-ES": ("Probar el gancho before_token",
              "Cada muestra recibió la respuesta que pide el tipo.", "Tu cuenta"),
}  # fmt: skip


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_at_1280_px_the_hooks_keep_their_words_whole_and_a_hook_is_tested(
    gunicorn_url: str, firestore: Any, locale: str
) -> None:
    """A desktop's width, in English and Spanish: no word of the hooks and their calls is
    broken; "Test" sends the kind's samples to the receiver, signed with the hook's own
    secret, and shows how each went; the header leads back to the account area. axe-clean;
    a forged test (no CSRF token) sends nothing."""
    create, *_ = WORDS[locale]
    test_it, passed, account = TESTED[locale]
    base, store = gunicorn_url, FirestoreAuthHooks(firestore)
    with hook_receiver() as receiver, chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": 1280, "height": 800})
        cli(["users", "set-role", signed_up(page, base, "a", button=create), "admin"])
        page.goto(base + PAGE)
        page.select_option("#hook-kind", "before_token")
        fill(page, url=receiver.url, timeout_ms="1500")
        page.locator("form[action='/admin/hooks/auth'] button[type=submit]").click()
        receiver.secret = page.locator("#secret").input_value()
        hook = token_hook(store)
        assert hook is not None
        at = datetime.now(UTC)
        store.record(hook, HookCall(hook.hook_id, at, 1500, CallOutcome.TIMEOUT, None, "late"))
        store.record(hook, HookCall(hook.hook_id, at, 7, CallOutcome.BAD_ANSWER, 200, "bad"))
        page.goto(base + PAGE)
        assert page.evaluate(BROKEN_WORDS) == []
        phone_checked(page)

        forged = page.request.post(f"{base}{PAGE}/{hook.hook_id}/test")
        assert forged.status == 403 and receiver.received == []

        page.get_by_role("button", name=test_it).click()
        assert passed in page.get_by_role("status").inner_text()
        assert receiver.received and receiver.refused == []  # its own secret verified
        assert receiver.secret not in page.content()
        assert page.evaluate(BROKEN_WORDS) == []
        phone_checked(page)
        page.set_viewport_size({"width": 375, "height": 800})
        phone_checked(page)

        if locale == "en-US":
            shoot(page, "admin-auth-hooks-test")
        page.get_by_role("link", name=account, exact=True).click()
        page.wait_for_url(base + "/account")


# A receiver's address as long as real ones are, and a kind with a long name
LONG_URL = "http://127.0.0.1:9/firegate/password-verification/production-receiver"
KEPT = 64
ERRORS = ("no whole answer within 2000 ms", "reserved_claim:preferred_username", None)
MORE = {"en-US": "Older calls: 59", "es-ES": "Llamadas anteriores: 59"}
# What the page measures of itself: how wide it scrolls beside the window, and how tall it is
EXTENT = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  height: document.documentElement.scrollHeight,
})"""
MAX_HEIGHT = 4000  # px: a few screens, whatever the calls kept


def kept_calls(firestore: Any, hook: AuthHook, count: int) -> None:
    """``count`` calls of ``hook`` in their slots, a second apart, as firegate keeps them."""
    at = datetime.now(UTC)
    outcomes = list(CallOutcome)
    calls = firestore.collection(AUTH_HOOKS).document(hook.hook_id).collection(CALLS)
    for n in range(count):
        call = HookCall(
            hook.hook_id,
            at - timedelta(seconds=n),
            40 + n,
            outcomes[n % len(outcomes)],
            200 if n % 2 else None,
            ERRORS[n % len(ERRORS)],
        )
        calls.document(f"{n:02d}").set(call_to_doc(call))


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_a_hook_with_64_calls_kept_fits_a_phone_and_a_desktop(
    gunicorn_url: str, firestore: Any, locale: str
) -> None:
    """64 calls kept of a hook with a long address and a long kind: at 375 and 1280 px the
    page scrolls no sideways and stays a few screens tall, the latest calls shown and the
    others folded behind one summary that opens them all; axe-clean, English and Spanish."""
    create, *_ = WORDS[locale]
    base, store = gunicorn_url, FirestoreAuthHooks(firestore)
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": 375, "height": 800})
        cli(["users", "set-role", signed_up(page, base, "a", button=create), "admin"])
        page.goto(base + PAGE)
        page.select_option("#hook-kind", "password_verification")
        fill(page, url=LONG_URL, timeout_ms="2000")
        page.locator("form[action='/admin/hooks/auth'] button[type=submit]").click()
        page.locator("#secret").wait_for()
        [hook] = store.list_all()
        kept_calls(firestore, hook, KEPT)
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(base + PAGE)
            extent = page.evaluate(EXTENT)
            assert extent["scrollWidth"] <= extent["innerWidth"], (width, extent)
            assert extent["height"] < MAX_HEIGHT, (width, extent)
            phone_checked(page)
            assert page.locator("table.calls tbody tr:visible").count() == 5
            page.get_by_text(MORE[locale]).click()
            assert page.locator("table.calls tbody tr:visible").count() == KEPT
            extent = page.evaluate(EXTENT)
            assert extent["scrollWidth"] <= extent["innerWidth"], (width, extent)
            phone_checked(page)
