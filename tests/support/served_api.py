"""The JSON API of the served service (gunicorn), driven over HTTP as an app would."""

from __future__ import annotations

from typing import Any

import requests

from tests.support.api import PASSWORD


def signed_in(url: str, name: str) -> dict[str, Any]:
    """A new account ``name`` (``name@example.com``), logged in: the token response's fields
    and its ``user_id``."""
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    created = requests.post(f"{url}/register", json=body, timeout=60)
    assert created.status_code == 201, created.text
    login = requests.post(f"{url}/login", json={"username": name, "password": PASSWORD}, timeout=60)
    assert login.status_code == 200, login.text
    return {**login.json(), "user_id": created.json()["id"]}
