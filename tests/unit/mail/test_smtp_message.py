"""The mail as the SMTP adapter builds it (sending it is tests/contract/test_mailer.py)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from application.ports import Mail
from infrastructure.mail.smtp import SmtpMailer

pytestmark = pytest.mark.unit

MAIL = Mail(to="ana@example.com", subject="Hola", text="texto", html="<p>texto</p>")


def test_each_mail_has_its_own_message_id_on_the_senders_domain() -> None:
    mailer = SmtpMailer("smtp://127.0.0.1:1025", sender="firegate <no-reply@mail.example.com>")
    ids = {mailer.message(MAIL)["Message-ID"] for _ in range(50)}
    assert len(ids) == 50
    assert all(i.startswith("<") and i.endswith("@mail.example.com>") for i in ids)


def test_building_a_mail_leaves_the_random_module_alone() -> None:
    # Mail goes out from background jobs: drawing from the shared generator there moves it
    # under tests and libraries that seed it (Hypothesis warns). The standard library draws
    # both a Message-ID (make_msgid) and a multipart boundary from it.
    mailer = SmtpMailer("smtp://127.0.0.1:1025", sender="no-reply@example.com")
    before = random.getstate()
    mailer.message(MAIL).as_bytes()  # as smtplib sends it: the parts' boundary is drawn too
    assert random.getstate() == before


def test_a_mail_without_a_sender_of_its_own_is_from_mail_from_as_today() -> None:
    mailer = SmtpMailer("smtp://127.0.0.1:1025", sender="firegate <no-reply@mail.example.com>")
    assert mailer.message(MAIL)["From"] == "firegate <no-reply@mail.example.com>"


def test_a_mail_names_its_own_sender_or_its_name_on_mail_froms_address() -> None:
    mailer = SmtpMailer("smtp://127.0.0.1:1025", sender="firegate <no-reply@mail.example.com>")
    via = mailer.message(replace(MAIL, from_name="Acme via firegate"))["From"].addresses
    assert [(a.display_name, a.addr_spec) for a in via] == [
        ("Acme via firegate", "no-reply@mail.example.com")
    ]
    own = replace(MAIL, from_name="Acme", from_address="news@acme.example")
    assert mailer.message(own)["From"] == "Acme <news@acme.example>"
    # The Message-ID stays on the service's domain.
    assert mailer.message(own)["Message-ID"].endswith("@mail.example.com>")


def test_a_senders_name_cannot_start_another_header() -> None:
    mailer = SmtpMailer("smtp://127.0.0.1:1025", sender="no-reply@mail.example.com")
    sly = replace(
        MAIL, from_name="Acme\r\nBcc: eve@evil.example", from_address="a@acme.example\r\nX: y"
    )
    message = mailer.message(sly)
    assert "\n" not in message["From"] and "\r" not in message["From"]
    assert message["Bcc"] is None and message["X"] is None
    assert "\nBcc:" not in message.as_string()
    assert message["From"].addresses[0].display_name == "Acme Bcc: eve@evil.example"
