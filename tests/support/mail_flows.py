"""The mails' links on the app on the fakes: proving an address, "not me", resets."""

from __future__ import annotations

from application.ports import Mail
from tests.support.api import login, register
from tests.support.app import World
from tests.support.pages import csrf


def press(world: World, token: str) -> tuple[int, str]:
    client = world.app.test_client()
    answer = client.post("/not-me", data={"token": token, "csrf_token": csrf(client, "/sign-in")})
    return answer.status_code, answer.get_data(as_text=True)


def resets(world: World, address: str = "alice@example.com") -> int:
    return len([m for m in world.mailer.to(address) if "/reset-password?token=" in m.text])


def verified(world: World, username: str = "alice") -> str:
    """A registered account whose address is proved; its bearer token."""
    register(world.client, username)
    world.deliver()
    token = world.token(f"{username}@example.com", "/verify-email")
    assert world.client.post("/auth/email/verify", json={"token": token}).status_code == 200
    return login(world.client, username)


def notices(world: World, address: str = "alice@example.com") -> list[Mail]:
    return [m for m in world.mailer.to(address) if "/not-me?token=" in m.text]
