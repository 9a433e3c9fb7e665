"""The profile's attributes on the account page in a real browser (docs/pages.md): the
fields the person may write, in English and Spanish, at 375 px, on
gunicorn and the emulators; axe-core finds nothing serious before, on a refusal and after."""

from __future__ import annotations

from typing import Any

import pytest

from infrastructure.firestore.accounts.profile_schema import FirestoreProfileSchemaStore
from tests.support.browser import chromium, phone_checked, signed_up

pytestmark = pytest.mark.e2e

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "floor": {"type": "integer", "minimum": 0, "title": "Floor", "x-write": ["user"]},
        "shirt": {"enum": ["S", "M", "L"], "title": "Shirt size", "x-write": ["user"]},
        "newsletter": {"type": "boolean", "title": "Newsletter", "x-write": ["user"]},
        "birthday": {"type": "date", "title": "Birthday", "x-write": ["user"]},
        "department": {"type": "string", "title": "Department", "x-write": ["admin"]},
    },
}
WORDS = {
    "en-US": ("More about you", "Save details", "This value does not fit this field.",
              "Your details are saved."),
    "es-ES": ("Más sobre ti", "Guardar datos", "Este valor no es válido para este campo.",
              "Tus datos están guardados."),
}  # fmt: skip


def stored_attributes(firestore: Any, username: str) -> dict[str, Any]:
    (user,) = [doc.to_dict() for doc in firestore.collection("users").stream()]
    assert user["username"] == username
    found: dict[str, Any] = user.get("attributes") or {}
    return found


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_the_person_edits_the_attributes_they_may_write(
    gunicorn_url: str, firestore: Any, locale: str
) -> None:
    heading, save, refusal, saved = WORDS[locale]
    base = gunicorn_url
    create = "Create account" if locale == "en-US" else "Crear cuenta"
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": 375, "height": 800})
        name = signed_up(page, base, button=create)
        assert heading not in page.inner_text("main")  # no schema: no such section

        FirestoreProfileSchemaStore(firestore).put(SCHEMA)
        page.goto(base + "/account")
        form = page.locator("form[action='/account/attributes']")
        assert page.get_by_role("heading", name=heading).is_visible()
        labels = form.locator("label").all_inner_texts()
        assert labels == ["Floor", "Shirt size", "Newsletter", "Birthday"]  # not Department
        phone_checked(page)

        page.get_by_label("Floor").fill("-1")
        form.get_by_role("button", name=save).click()
        assert refusal in page.inner_text("form[action='/account/attributes'] [role=alert]")
        assert page.get_by_label("Floor").input_value() == "-1"  # what was typed, kept
        phone_checked(page)
        assert stored_attributes(firestore, name) == {}

        page.get_by_label("Floor").fill("3")
        page.get_by_label("Shirt size").select_option("M")
        page.get_by_label("Newsletter").select_option("true")
        page.get_by_label("Birthday").fill("1990-02-28")
        form.get_by_role("button", name=save).click()
        page.wait_for_url(base + "/account?done=attributes")
        assert saved in page.inner_text("[role=status]")
        assert stored_attributes(firestore, name) == {
            "floor": 3,
            "shirt": "M",
            "newsletter": True,
            "birthday": "1990-02-28",
        }
        assert page.get_by_label("Floor").input_value() == "3"
        assert page.get_by_label("Newsletter").input_value() == "true"
        phone_checked(page)

        # Emptied, a field's value goes; the others, unchanged, are not written again.
        page.get_by_label("Shirt size").select_option("")
        form.get_by_role("button", name=save).click()
        page.wait_for_url(base + "/account?done=attributes")
        assert "shirt" not in stored_attributes(firestore, name)

        # A forged post (the browser's cookies, no CSRF token) is refused and writes nothing.
        forged = page.request.post(base + "/account/attributes", form={"floor": "7"})
        assert forged.status == 403
        assert stored_attributes(firestore, name)["floor"] == 3
