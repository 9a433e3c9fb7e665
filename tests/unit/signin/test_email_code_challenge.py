"""A mailed code asked with an app's ``code_challenge`` (docs/reference/app-links.md): the flow
keeps the challenge, the mail links to the page a unit serves for an app's link
(``APP_LINK_PAGES``; the browser's link where none does), and the code itself still signs in
where it was asked."""

from __future__ import annotations

import pytest

from application.signin.codes.ways import APP_LINK_PAGES
from bootstrap.signin_adapters import SigninAdapters
from bootstrap.units import units_on
from domain.signin.codes.flows import challenge_of, secret_hash
from domain.slots import filled
from tests.support.app import World
from tests.support.email_codes import code_in

pytestmark = pytest.mark.unit
CHALLENGE = challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")


def test_an_apps_flow_keeps_its_challenge_and_its_mail_links_to_the_app() -> None:
    world = World()
    pages = filled(units_on(world.settings), APP_LINK_PAGES)
    page = pages[-1] if pages else "/sign-in/email"
    body = {"email": "ann@example.com", "code_challenge": CHALLENGE}
    asked = world.client.post("/auth/email-code", json=body)
    assert asked.status_code == 202, asked.get_json()
    world.deliver()
    [mail] = world.mailer.to("ann@example.com")
    link = next(word for word in mail.text.split() if "?token=" in word)
    assert link.startswith(f"{world.settings.service.public_url}{page}?token=")
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
