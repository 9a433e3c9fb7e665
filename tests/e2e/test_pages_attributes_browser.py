"""The profile's attributes on the account page in a real browser (docs/pages.md): the
fields the person may write and, read-only, those they may only read, in English and
Spanish, at 375 and 1280 px, on gunicorn and the emulators; axe-core finds nothing serious
before, on a refusal and after."""

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
              "Your details are saved.", "Not set"),
    "es-ES": ("Más sobre ti", "Guardar datos", "Este valor no es válido para este campo.",
              "Tus datos están guardados.", "Sin configurar"),
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
    heading, save, refusal, saved, not_set = WORDS[locale]
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
        # Department, the person's to read and not to write, is shown read-only.
        facts = page.locator("section[aria-labelledby='attributes-heading'] dl")
        assert facts.locator("dt").all_inner_texts() == ["Department"]
        assert facts.locator("dd").all_inner_texts() == [not_set]
        phone_checked(page)
        page.set_viewport_size({"width": 1280, "height": 800})
        phone_checked(page)
        page.set_viewport_size({"width": 375, "height": 800})

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

        # A value an admin wrote is shown to the person, and their form cannot change it.
        (user,) = list(firestore.collection("users").stream())
        user.reference.update({"attributes.department": "Sales"})
        page.goto(base + "/account")
        assert facts.locator("dd").all_inner_texts() == ["Sales"]
        page.get_by_label("Floor").fill("4")
        page.evaluate(
            """() => { const extra = document.createElement('input');
            extra.name = 'attributes.department'; extra.value = 'Ops';
            document.querySelector("form[action='/account/attributes']").append(extra); }"""
        )
        form.get_by_role("button", name=save).click()
        page.wait_for_url(base + "/account?done=attributes")
        assert stored_attributes(firestore, name) == {
            "floor": 4,
            "newsletter": True,
            "birthday": "1990-02-28",
            "department": "Sales",
        }
