"""What one test's app queued in the process is done before the next test's emulators are
emptied (tests/support/emulators.py): a mail it sent is never found by the next test."""

from __future__ import annotations

import smtplib
import threading
import time
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest

from application.ports import Job
from infrastructure.jobs.inprocess import InProcessJobQueue
from tests.support import mailbox
from tests.support.emulators import emptied

pytestmark = pytest.mark.e2e


def test_a_mail_queued_before_the_emptying_is_not_left_for_the_next_test(emulators: Any) -> None:
    smtp = urlsplit(emulators.env()["SMTP_URL"])
    began = threading.Event()

    def send_late(job: Job, final: bool) -> None:
        began.set()
        time.sleep(1)  # the emptying comes while it runs
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.com", job.subject, "late"
        with smtplib.SMTP(smtp.hostname or "", smtp.port or 25, timeout=10) as server:
            server.send_message(message)

    queue = InProcessJobQueue(send_late)
    queue.enqueue(Job("mail", "next-test@example.com"))
    assert began.wait(5)
    emptied(emulators)
    assert queue.join(10)
    assert mailbox.to("next-test@example.com") == []
