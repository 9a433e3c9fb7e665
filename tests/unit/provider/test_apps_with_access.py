"""The account's apps and agents with access (docs/reference/oauth.md, "Apps with access"):
what each is, since when, last used (written at most once an hour a grant), in English and
Spanish, and removed only by a post of the account's own form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.provider.apps import AppAccess
from bootstrap.provider import ProviderAdapters
from domain.provider.grants import USE_NOTED_EVERY, Grant
from tests.fakes.provider import FakeOAuthGrants
from tests.support.api import bearer
from tests.support.oauth import OAuthWorld, csrf_of
from tests.support.token_exchange import API, BILLING, exchange

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_a_grants_use_is_noted_at_most_once_an_hour() -> None:
    grant = Grant("g", "u", "c", "openid", NOW, 0, issued=True)
    assert timedelta(hours=1) == USE_NOTED_EVERY
    assert grant.use_to_note(NOW)
    noted = Grant("g", "u", "c", "openid", NOW, 0, issued=True, last_used_at=NOW)
    assert not noted.use_to_note(NOW + timedelta(minutes=59, seconds=59))
    assert noted.use_to_note(NOW + timedelta(hours=1))


def test_a_refresh_notes_the_use_in_its_own_write() -> None:
    grant = Grant("g", "u", "c", "openid", NOW, 0, refresh_hash="h", issued=True)
    later = NOW + timedelta(minutes=5)
    rotation = grant.rotated("h", "h2", later + timedelta(days=30), later)
    assert rotation.outcome == "rotated" and rotation.grant.last_used_at == later


def test_an_https_client_id_shows_its_host() -> None:
    cimd = AppAccess("https://agent.example.com/client.json", "Agent", ("openid",), NOW)
    assert cimd.host == "agent.example.com"
    for registered in ("9f3bc1", "http://agent.example.com/c.json", "https:///x"):
        assert AppAccess(registered, "App", (), NOW).host is None


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def grants_of(world: OAuthWorld) -> FakeOAuthGrants:
    found = world.adapters.of(ProviderAdapters).oauth_grants
    assert isinstance(found, FakeOAuthGrants)
    return found


def apps_page(world: OAuthWorld, language: str = "en") -> str:
    page = world.client.get("/account/apps", headers={"Accept-Language": language})
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_page_lists_what_since_when_and_last_used_to_the_hour(world: OAuthWorld) -> None:
    app = world.register(name="Invoice agent")
    tokens = world.tokens(app, scope="openid email offline_access")
    grants = grants_of(world)
    page = apps_page(world)
    assert "Invoice agent" in page and "May: openid, email, offline_access" in page
    assert "Since" in page and "Not used yet" in page

    for _ in range(3):  # userinfo, again and again: one write
        found = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
        assert found.status_code == 200
    assert grants.uses_noted == 1
    (grant,) = grants.grants.values()
    assert grant.last_used_at is not None
    page = apps_page(world)
    assert "Last used" in page and "Not used yet" not in page

    world.clock.advance(minutes=61)  # an hour on: the next use is written again
    world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert grants.uses_noted == 2
    # a refresh notes it in the rotation's own write, no other
    refreshed = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    assert grants.uses_noted == 2
    assert grants.grants[grant.id].last_used_at == world.clock.now()

    spanish = apps_page(world, "es")
    assert "Aplicaciones con acceso" in spanish and "Desde" in spanish
    assert "Último uso" in spanish and "Puede: openid, email, offline_access" in spanish


def test_a_new_grant_is_not_used_yet_in_spanish(world: OAuthWorld) -> None:
    world.tokens(world.register(name="Agent"))
    assert "Aún sin usar" in apps_page(world, "es")


def test_a_forged_post_without_the_form_token_is_403_and_removes_nothing(
    world: OAuthWorld,
) -> None:
    app = world.register(name="Invoice agent")
    tokens = world.tokens(app)
    for form in (
        {"client_id": app["client_id"]},
        {"client_id": app["client_id"], "csrf_token": "x"},
    ):
        forged = world.client.post("/account/apps/revoke", data=form)
        assert forged.status_code == 403
    assert "Invoice agent" in apps_page(world)
    live = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert live.status_code == 200
    (grant,) = grants_of(world).grants.values()
    assert not grant.revoked


def test_removing_an_app_ends_its_tokens_and_the_tokens_exchanged_from_them(
    world: OAuthWorld,
) -> None:
    agent = world.register(
        "--confidential", "--grant", "token_exchange", "--resource", API, "--resource", BILLING,
        name="Orders agent",
    )  # fmt: skip
    person = world.tokens(agent, resource=API)
    answer = exchange(world, agent, person["access_token"])
    assert answer.status_code == 200, answer.get_json()
    exchanged: str = answer.get_json()["access_token"]
    assert introspected(world, agent, exchanged)["active"] is True

    page = apps_page(world)
    gone = world.client.post(
        "/account/apps/revoke", data={"client_id": agent["client_id"], "csrf_token": csrf_of(page)}
    )
    assert gone.status_code == 303
    for token in (person["access_token"], exchanged):
        assert introspected(world, agent, token) == {"active": False}
    assert "Orders agent" not in apps_page(world)


def introspected(world: OAuthWorld, client: dict[str, Any], token: str) -> dict[str, Any]:
    body = {
        "token": token,
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
    }
    found: dict[str, Any] = world.client.post("/oauth/introspect", data=body).get_json()
    return found
