"""A mailed code asked with an app's ``code_challenge`` (docs/reference/app-links.md): the flow
keeps the challenge, the mail links to /app/sign-in rather than /sign-in/email, and the code
itself still signs in where it was asked."""

from __future__ import annotations

import pytest

from bootstrap.signin_adapters import SigninAdapters
from domain.signin.codes.flows import challenge_of, secret_hash
from tests.support.app import World
from tests.support.email_codes import code_in

pytestmark = pytest.mark.unit
CHALLENGE = challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")


def test_an_apps_flow_keeps_its_challenge_and_its_mail_links_to_the_app() -> None:
    world = World()
    body = {"email": "ann@example.com", "code_challenge": CHALLENGE}
    asked = world.client.post("/auth/email-code", json=body)
    assert asked.status_code == 202, asked.get_json()
    world.deliver()
    [mail] = world.mailer.to("ann@example.com")
    assert "/sign-in/email?" not in mail.text
    link = next(word for word in mail.text.split() if "/app/sign-in?token=" in word)
    assert link.startswith(world.settings.service.public_url + "/app/sign-in?token=")
    token = link.split("token=", 1)[1]
    flow = world.adapters.of(SigninAdapters).email_codes.by_link(secret_hash(token))
    assert flow is not None and flow.code_challenge == CHALLENGE
    verify = {"flow_id": asked.get_json()["flow_id"], "code": code_in(mail.text)}
    assert world.client.post("/auth/email-code/verify", json=verify).status_code == 200


def test_a_flow_without_a_challenge_keeps_the_browsers_link() -> None:
    world = World()
    asked = world.client.post("/auth/email-code", json={"email": "bo@example.com"})
    assert asked.status_code == 202
    world.deliver()
    [mail] = world.mailer.to("bo@example.com")
    assert "/sign-in/email?token=" in mail.text and "/app/sign-in" not in mail.text
