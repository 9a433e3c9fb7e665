"""The apps and agents with access on /account/apps in Chromium, 375 px wide, on gunicorn and
the emulators, in English and Spanish: what each is, since when, last used; removed by its
button; axe-core finds no serious violation before or after (docs/reference/oauth.md, "Apps
with access")."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from playwright.sync_api import Page

from domain.provider.grants import Grant
from infrastructure.firestore.provider.oauth import OAUTH_GRANTS, grant_to_doc
from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, violations

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
PHONE = 375


def register(app: Flask, name: str) -> str:
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["clients", "create", "--name", name, "--redirect-uri", "https://a.example.com/cb"]
    )
    assert made.exit_code == 0, made.output
    client_id: str = json.loads(made.output.strip().splitlines()[-1])["client_id"]
    return client_id


def signed_up(page: Page, base: str) -> str:
    """A new account signed up on the page; its id."""
    name = "t" + uuid.uuid4().hex[:10]
    page.goto(base + "/sign-up")
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.locator("form[action='/sign-up'] button[type=submit]").click()
    page.wait_for_url(base + "/account")
    login = requests.post(
        base + "/login", json={"username": name, "password": PASSWORD}, timeout=30
    ).json()
    me = requests.get(
        base + "/user", headers={"Authorization": f"Bearer {login['access_token']}"}, timeout=30
    )
    user_id: str = me.json()["id"]
    return user_id


def given(firestore: Any, user_id: str, client_id: str, used: datetime | None) -> None:
    """A grant the person gave the app, as the provider stores it."""
    now = datetime.now(UTC)
    grant = Grant(
        uuid.uuid4().hex, user_id, client_id, "openid email", now - timedelta(days=3), 0,
        issued=True, last_used_at=used,
    )  # fmt: skip
    firestore.document(f"{OAUTH_GRANTS}/{grant.id}").set(grant_to_doc(grant))


def round_of(
    page: Page, base: str, firestore: Any, apps: tuple[str, str], words: dict[str, str]
) -> dict[str, list[str]]:
    page.set_viewport_size({"width": PHONE, "height": 800})
    user_id = signed_up(page, base)
    used, unused = apps
    given(firestore, user_id, used, datetime.now(UTC) - timedelta(hours=2))
    given(firestore, user_id, unused, None)
    page.goto(base + "/account/apps")
    content = page.content()
    for word in ("Invoice agent", "Calendar app", words["since"], words["used"], words["unused"]):
        assert word in content, word
    assert words["may"] + "openid, email" in content
    found = {"two apps": violations(page)}
    page.locator("form[action='/account/apps/revoke']").filter(
        has=page.locator(f"input[value='{used}']")
    ).locator("button[type=submit]").click()
    page.wait_for_url(base + "/account/apps*")
    assert "Invoice agent" not in page.content() and "Calendar app" in page.content()
    found["one removed"] = violations(page)
    return found


def test_apps_on_the_account_page_at_375_px_in_english_and_spanish(
    gunicorn_url: str, firestore: Any, real_app: Flask
) -> None:
    apps = (register(real_app, "Invoice agent"), register(real_app, "Calendar app"))
    english = {"since": "Since", "used": "Last used", "unused": "Not used yet", "may": "May: "}
    spanish = {"since": "Desde", "used": "Último uso", "unused": "Aún sin usar", "may": "Puede: "}
    with chromium(javascript=True) as page:
        found = round_of(page, gunicorn_url, firestore, apps, english)
    with chromium(javascript=True, locale="es-ES") as page:
        spanish_found = round_of(page, gunicorn_url, firestore, apps, spanish)
        found |= {f"es: {state}": v for state, v in spanish_found.items()}
    assert found == {state: [] for state in found}
