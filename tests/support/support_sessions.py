"""A session of support access, started the way an admin starts one (docs/support-access.md):
the admin ``root`` asks for it over the API, and the browser of the world becomes it."""

from __future__ import annotations

from interfaces.web.browser import EXTENSION
from tests.support.api import admin_token
from tests.support.oauth import OAuthWorld


def support_session(world: OAuthWorld, user_id: str, *, reason: str, minutes: int) -> str:
    """The browser (``world.client``, a new one) becomes a session of support access of
    ``user_id`` for ``minutes``, started by the admin ``root`` for ``reason``; the admin's
    id."""
    api = world.app.test_client()
    root = admin_token(world.app, api)
    root_id: str = api.get("/user", headers=root).get_json()["id"]
    started = api.post(
        f"/admin/users/{user_id}/impersonate",
        json={"reason": reason, "minutes": minutes},
        headers=root,
    )
    assert started.status_code == 201, started.get_json()
    pair = started.get_json()
    world.client = world.app.test_client()
    name = world.app.extensions[EXTENSION].cookie("session")
    world.client.set_cookie(name, f"{pair['access_token']}~{pair['refresh_token']}")
    return root_id
