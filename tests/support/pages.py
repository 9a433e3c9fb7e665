"""The pages for people on the app on the fakes: forms with their CSRF tokens, sign-up,
signed-in browsers."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.support.app import World

PASSWORD = "correct horse battery"


def csrf(client: FlaskClient, path: str = "/sign-up") -> str:
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def sign_up(world: World, name: str = "alice") -> None:
    form = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    answer = world.client.post("/sign-up", data={**form, "csrf_token": csrf(world.client)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
