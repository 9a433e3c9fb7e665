"""The Mailer port: the fake and the SMTP adapter (into maildev) take and refuse alike."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from application.ports import Mail, Mailer, MailUndelivered
from infrastructure.mail.render import JinjaMailRenderer
from infrastructure.mail.smtp import SmtpMailer
from tests.fakes.mail import FakeMailer
from tests.support import mailbox
from tests.support.servers import free_port

MAIL = JinjaMailRenderer().render(
    "verify_email",
    "zoe@example.com",
    {
        "product": "firegate",
        "name": "Zoë",
        "username": "zoe",
        "email": "zoe@example.com",
        "public_url": "http://127.0.0.1:8000",
        "link": "http://127.0.0.1:8000/verify-email?token=abc_DEF-123",
        "expires_hours": "24",
    },
)


def fake() -> tuple[Mailer, Callable[[], list[Mail]]]:
    mailer = FakeMailer()
    return mailer, lambda: mailer.to("zoe@example.com")


SENDER = "no-reply@example.com"


def smtp() -> tuple[Mailer, Callable[[], list[Mail]]]:
    mailer = SmtpMailer(os.environ["SMTP_URL"], sender=f"firegate <{SENDER}>")

    def received() -> list[Mail]:
        """What maildev got; its ``From`` as a mail names one (no name of its own and the
        mailer's address: "", as a mail that names none)."""
        found: list[dict[str, Any]] = mailbox.to("zoe@example.com")
        mails = []
        for m in found:
            [sender] = m["from"]
            name = "" if sender["name"] == "firegate" else sender["name"]
            address = "" if sender["address"] == SENDER else sender["address"]
            mails.append(
                Mail(
                    to="zoe@example.com",
                    subject=m["subject"],
                    text=m["text"],
                    html=m["html"],
                    from_name=name,
                    from_address=address,
                )
            )
        return mails

    return mailer, received


@pytest.fixture(params=["fake", "smtp"])
def mailer(
    request: pytest.FixtureRequest,
) -> tuple[Mailer, Callable[[], list[Mail]]]:
    if request.param == "fake":
        return fake()
    request.getfixturevalue("clean_emulators")
    return smtp()


@pytest.mark.contract
def test_a_sent_mail_arrives_with_both_parts(
    mailer: tuple[Mailer, Callable[[], list[Mail]]],
) -> None:
    port, received = mailer
    port.send(MAIL)
    [got] = received()
    assert got.subject == MAIL.subject
    assert "http://127.0.0.1:8000/verify-email?token=abc_DEF-123" in got.text
    assert "Zoë" in got.text and 'href="http://127.0.0.1:8000/verify-email' in got.html


@pytest.mark.contract
def test_a_mail_is_from_the_sender_it_names_else_the_mailers(
    mailer: tuple[Mailer, Callable[[], list[Mail]]],
) -> None:
    port, received = mailer
    port.send(replace(MAIL, subject="plain"))
    port.send(replace(MAIL, subject="via", from_name="Acme via firegate"))
    port.send(replace(MAIL, subject="own", from_name="Acme", from_address="news@acme.example"))
    got = {m.subject: (m.from_name, m.from_address) for m in received()}
    assert got == {
        "plain": ("", ""),
        "via": ("Acme via firegate", ""),
        "own": ("Acme", "news@acme.example"),
    }


@pytest.mark.contract
def test_an_unreachable_server_is_mail_undelivered() -> None:
    down = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", sender="a@example.com", timeout=2)
    broken = FakeMailer()
    broken.failing = True
    for port in (down, broken):
        with pytest.raises(MailUndelivered):
            port.send(MAIL)


@pytest.mark.contract
def test_the_inbox_address_printed_for_people_opens_maildevs_page(emulators: Any) -> None:
    # `make run` prints where to read the mail: maildev's root, which serves its page to a
    # browser; at /index.html the page would ask for its mails under /index.html/api/.
    assert urlsplit(emulators.inbox_url).path == "/"
    page = requests.get(emulators.inbox_url, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "<title>MailDev</title>" in page.text
    listed = requests.get(urljoin(emulators.inbox_url, "api/email"), timeout=10)
    assert listed.status_code == 200 and isinstance(listed.json(), list)
