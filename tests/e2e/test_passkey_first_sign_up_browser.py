"""Passkey-first sign-up in Chromium against gunicorn, with the DevTools protocol's virtual
authenticator and the mail read from maildev (docs/pages.md, "Passkeys"): "Create with a
passkey" on /sign-up, the address proven by an e-mailed code, then the passkey, then the
recovery codes shown once; no password is ever stored; signed out, the passkey signs in, and
so does a recovery code in the password's place. Every page axe-clean at 375 px, in English
and Spanish. Opened on ``localhost``: browsers refuse WebAuthn on an IP-address origin."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import ViewportSize

from tests.support import mailbox
from tests.support.browser import chromium, fill, phone_checked, virtual_authenticator
from tests.support.email_codes import code_in

pytestmark = pytest.mark.e2e
PHONE: ViewportSize = {"width": 375, "height": 800}
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
ENGLISH = (
    "Create with a passkey",
    "E-mail me a code",
    "Sign in",
    "Add a passkey",
    "Sign out",
    "Sign in with a passkey",
    "Continue",
    "Show my recovery codes",
    "Your recovery codes were shown already",
)
SPANISH = (
    "Crear con una llave de acceso",
    "Envíame un código",
    "Iniciar sesión",
    "Añadir una llave de acceso",
    "Cerrar sesión",
    "Iniciar sesión con una llave de acceso",
    "Continuar",
    "Mostrar mis códigos de recuperación",
    "Tus códigos de recuperación ya se mostraron",
)


@pytest.mark.parametrize(("locale", "words"), [("en-US", ENGLISH), ("es-ES", SPANISH)])
def test_sign_up_with_a_passkey_then_sign_in_with_it(
    gunicorn_url: str, firestore: Any, locale: str, words: tuple[str, ...]
) -> None:
    create, ask, sign_in, add, sign_out, with_passkey, go_on, show, shown_already = words
    base = gunicorn_url.replace("127.0.0.1", "localhost")
    address = f"k{uuid.uuid4().hex[:10]}@example.com"
    with chromium(javascript=True, locale=locale) as page:
        page.context.add_init_script(NO_AUTOFILL)  # only the button signs in below
        cdp, authenticator = virtual_authenticator(page)
        page.set_viewport_size(PHONE)
        page.goto(base + "/sign-up")
        phone_checked(page)
        page.get_by_role("link", name=create).click()
        # The address is proven first: the code page of sign-in by e-mail code.
        fill(page, email=address)
        phone_checked(page)
        page.get_by_role("button", name=ask).click()
        [mail] = mailbox.wait_for(address)
        fill(page, code=code_in(mail["text"]))
        page.get_by_role("button", name=sign_in).click()
        page.wait_for_url(base + "/sign-up/passkey?next=%2Faccount")
        page.get_by_role("button", name=add).wait_for()  # shown by the script
        phone_checked(page)
        page.get_by_role("button", name=add).click()
        # The recovery codes, at once and once (docs/decisions/0476).
        page.wait_for_url(base + "/sign-up/recovery-codes?next=%2Faccount")
        phone_checked(page)
        page.get_by_role("button", name=show).click()
        page.locator("#recovery-codes").wait_for()
        phone_checked(page)
        codes = page.locator("#recovery-codes code").all_inner_texts()
        assert len(set(codes)) == 10
        page.goto(base + "/sign-up/recovery-codes?next=%2Faccount")
        page.get_by_role("button", name=show).click()
        page.get_by_text(shown_already).wait_for()
        assert page.locator("#recovery-codes").count() == 0
        page.get_by_role("link", name=go_on).click()
        page.wait_for_url(base + "/account")
        phone_checked(page)
        assert address in page.inner_text("main")
        held = {"authenticatorId": authenticator}
        found = cdp.send("WebAuthn.getCredentials", held)["credentials"]
        assert [c["rpId"] for c in found] == ["localhost"]

        claim = firestore.collection("emails").document(address).get().to_dict()
        stored = firestore.collection("users").document(claim["user_id"]).get().to_dict()
        assert stored["password_hash"] is None and stored["email_verified"] is True

        page.get_by_role("button", name=sign_out).click()
        page.wait_for_url(base + "/sign-in")
        button = page.get_by_role("button", name=with_passkey)
        button.wait_for()  # shown by the script
        button.click()
        page.wait_for_url(base + "/account")
        assert address in page.inner_text("main")
        found = cdp.send("WebAuthn.getCredentials", held)["credentials"]
        assert found[0]["signCount"] >= 1

        # The passkey lost: a recovery code signs in once, typed in the password's place.
        page.get_by_role("button", name=sign_out).click()
        page.wait_for_url(base + "/sign-in")
        fill(page, username=address, password=codes[0])
        page.get_by_role("button", name=sign_in, exact=True).click()
        page.wait_for_url(base + "/account")
        assert address in page.inner_text("main")
