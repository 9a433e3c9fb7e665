"""Sending webhooks over HTTP, resolving their hosts, and the sweeper's timer
(docs/reference/webhooks.md, docs/security.md "Webhooks")."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

import requests
from requests.adapters import HTTPAdapter

from application.webhooks import WebhookUnreachable

log = logging.getLogger("firegate.webhooks")

MAX_ANSWER_BYTES = 64 * 1024  # read, then dropped; a longer answer closes the connection
USER_AGENT = "firegate-webhooks/1"


class RequestsWebhookSender:
    """One pooled ``requests.Session`` per process: connections to a receiver are reused."""

    def __init__(self, timeout: float = 5.0, pool_size: int = 32) -> None:
        self._timeout = timeout
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._session: requests.Session | None = None
        self._pid: int | None = None

    def _client(self) -> requests.Session:
        with self._lock:
            if self._session is None or self._pid != os.getpid():
                session = requests.Session()
                session.trust_env = False  # no proxy or .netrc from the environment
                adapter = HTTPAdapter(pool_connections=8, pool_maxsize=self._pool_size)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                session.headers.update(
                    {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
                )
                self._session, self._pid = session, os.getpid()
            return self._session

    def post(self, url: str, body: str, headers: dict[str, str]) -> int:
        try:
            response = self._client().post(
                url,
                data=body.encode(),
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as error:
            raise WebhookUnreachable(type(error).__name__) from None
        try:
            read = 0
            for chunk in response.iter_content(8192):
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    break
        except requests.RequestException:
            pass  # the status line came: that is the answer
        finally:
            response.close()
        return response.status_code


class SocketHostResolver:
    def addresses(self, host: str) -> list[str]:
        try:
            found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return []
        return sorted({str(info[4][0]) for info in found})


class ThreadScheduler:
    """A daemon thread per task, started in the process that asks (after gunicorn's fork)."""

    def every(self, seconds: float, task: Callable[[], None]) -> None:
        def run() -> None:
            stop = threading.Event()
            while True:
                try:
                    task()
                except Exception:  # the next round tries again
                    log.warning("a periodic task failed", exc_info=True)
                stop.wait(seconds)

        threading.Thread(target=run, name="periodic", daemon=True).start()
