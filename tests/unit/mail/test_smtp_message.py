"""The mail as the SMTP adapter builds it (sending it is tests/contract/test_mailer.py)."""

from __future__ import annotations

import random

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
