"""Slow webhook receivers do not delay the mail: the real service under gunicorn on the
emulators (maildev for the mail), with receivers in the test that answer a status line and
then one byte every 3 s, and one that never answers (docs/reference/webhooks.md, "Time
limits")."""

from __future__ import annotations

import itertools
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
import requests

from tests.support import mailbox
from tests.support.served_webhooks import admin_headers, create_webhook, deliveries, login
from tests.support.served_webhooks import register as sign_up
from tests.support.servers import serving

pytestmark = pytest.mark.e2e

DRIP_EVERY = 3.0  # seconds between two bytes
DRIP_FOR = 40.0  # a dripping receiver gives up after this long (the service must not wait)
DEADLINE = 5.0  # WEBHOOK_TIMEOUT's default: the whole attempt
MAIL_WITHIN = 10.0  # a reset mail usually arrives well within a second


@dataclass
class Connection:
    webhook_id: str
    opened: float
    closed: float | None = None


@dataclass
class SlowReceiver:
    """A socket server that reads a request and then answers ``how``: ``headers`` (a status
    line, then the headers one byte at a time), ``body`` (status and headers, then a long
    body one byte at a time) or ``silent`` (nothing)."""

    how: str
    url: str = ""
    connections: list[Connection] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            head = request.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
            webhook_id = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in head.split("\r\n")[1:]
                    if line.startswith("webhook-id:")
                ),
                "",
            )
            seen = Connection(webhook_id, time.monotonic())
            with self.lock:
                self.connections.append(seen)
            if self.how == "headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                drip = b"X-Slow: " + b"a" * 100_000
            elif self.how == "body":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                drip = b"a" * 100_000
            else:
                drip = b""
            started = time.monotonic()
            sent = 0
            while not self.stop.is_set() and time.monotonic() - started < DRIP_FOR:
                readable, _, _ = select.select([conn], [], [], DRIP_EVERY)
                try:
                    if readable and not conn.recv(65536):
                        break  # the service hung up
                    if drip and not readable:
                        conn.sendall(drip[sent : sent + 1])
                        sent += 1
                except OSError:
                    break
            seen.closed = time.monotonic()

    def overlapping(self) -> list[str]:
        """The webhook-ids sent on a second connection while an earlier one was still open."""
        found = []
        with self.lock:
            by_id: dict[str, list[Connection]] = {}
            for c in self.connections:
                by_id.setdefault(c.webhook_id, []).append(c)
        for webhook_id, seen in by_id.items():
            seen.sort(key=lambda c: c.opened)
            for earlier, later in itertools.pairwise(seen):
                if earlier.closed is None or later.opened < earlier.closed:
                    found.append(webhook_id)
        return found


@contextmanager
def slow_receiver(how: str) -> Iterator[SlowReceiver]:
    state = SlowReceiver(how)
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    state.url = f"http://127.0.0.1:{server.getsockname()[1]}/in"

    def accept() -> None:
        while not state.stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=state.handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        thread.join(5)
        server.close()


def forgot_and_wait(base: str, address: str, count: int) -> float:
    """Ask for a reset mail; the seconds until maildev has it (the ``count``-th mail)."""
    started = time.monotonic()
    response = requests.post(f"{base}/auth/password/forgot", json={"email": address}, timeout=30)
    assert response.status_code == 202
    mailbox.wait_for(address, count, timeout=DRIP_FOR + 20)
    return time.monotonic() - started


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_receivers_that_drip_or_never_answer_do_not_delay_a_reset_mail(
    clean_emulators: Any,
) -> None:
    settings = {
        "WEB_CONCURRENCY": "1",  # one process: its job threads are the ones at stake
        "WEBHOOK_CACHE_TTL": "0.5",
        "WEBHOOK_SWEEP_INTERVAL": "1",  # a claim that lapsed would be taken again at once
    }
    with ExitStack() as stack:
        receivers = [stack.enter_context(slow_receiver(how)) for how in ("headers",) * 2]
        receivers += [stack.enter_context(slow_receiver(how)) for how in ("body",) * 2]
        receivers.append(stack.enter_context(slow_receiver("silent")))
        base = stack.enter_context(serving("gunicorn-webhooks-stall.log", **settings))
        admin = admin_headers(base)
        sign_up(base, "sam")
        mailbox.wait_for("sam@example.com", 1)  # the address's proof
        usual = forgot_and_wait(base, "sam@example.com", 2)

        hooks = [create_webhook(base, admin, r.url, "signin.succeeded")[0] for r in receivers]
        time.sleep(0.6)  # the worker's copy of the endpoints has expired
        assert login(base, "sam").status_code == 200
        deadline = time.monotonic() + 10
        while sum(len(r.connections) for r in receivers) < 2:  # the job threads are busy
            assert time.monotonic() < deadline, "no delivery was sent"
            time.sleep(0.05)
        delayed = forgot_and_wait(base, "sam@example.com", 3)
        print(f"reset mail: {usual:.2f} s alone, {delayed:.2f} s behind slow receivers")
        assert delayed < MAIL_WITHIN, f"the reset mail took {delayed:.1f} s"

        # Every delivery was given up at the deadline: a failed attempt, none sent twice at once.
        failed: dict[str, dict[str, Any]] = {}
        give_up = time.monotonic() + 30
        while len(failed) < len(hooks):
            assert time.monotonic() < give_up, f"not every delivery failed in time: {failed}"
            for webhook_id in hooks:
                listed = deliveries(base, admin, webhook_id)
                if listed and listed[0]["attempts"]:
                    failed[webhook_id] = listed[0]
            time.sleep(0.5)
        for delivery in failed.values():
            first = delivery["attempts"][0]
            assert first["status_code"] is None and first["error"] == "deadline_exceeded"
            took = parse(first["time"]) - parse(delivery["created_at"])
            assert took.total_seconds() >= DEADLINE - 0.5, delivery
        for receiver in receivers:
            assert receiver.overlapping() == []
