"""Sending webhooks over HTTP, resolving their hosts, and the sweeper's timer
(docs/reference/webhooks.md, docs/security.md "Webhooks")."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3

from application.webhooks import WebhookUnreachable

log = logging.getLogger("firegate.webhooks")

MAX_ANSWER_BYTES = 64 * 1024  # read, then dropped; a longer answer closes the connection
USER_AGENT = "firegate-webhooks/1"


class PinnedWebhookSender:
    """One pool of connections per process and receiver, reused between deliveries.

    Each POST goes to the address the delivery's host was checked to resolve to (urllib3's
    pool for that address, with the URL's host as TLS's server name and the name the
    certificate must have, and as the Host header): the host is never resolved again
    between the check and the connection (docs/security.md, "Webhooks")."""

    def __init__(
        self, timeout: float = 5.0, pool_size: int = 32, ca_certs: str | None = None
    ) -> None:
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self._pool_size = pool_size
        self._ca_certs = ca_certs or certifi.where()
        self._lock = threading.Lock()
        self._pools: urllib3.PoolManager | None = None
        self._pid: int | None = None

    def _manager(self) -> urllib3.PoolManager:
        with self._lock:
            if self._pools is None or self._pid != os.getpid():
                self._pools = urllib3.PoolManager(
                    num_pools=64,
                    maxsize=self._pool_size,
                    block=False,
                    cert_reqs="CERT_REQUIRED",
                    ca_certs=self._ca_certs,
                    retries=False,
                )
                self._pid = os.getpid()
            return self._pools

    def post(self, url: str, body: str, headers: dict[str, str], address: str | None = None) -> int:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        pool_kwargs: dict[str, Any] = {}
        if parts.scheme == "https":
            pool_kwargs = {"server_hostname": host, "assert_hostname": host}
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        sent = {
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Host": parts.netloc.rsplit("@", 1)[-1],
            **headers,
        }
        try:
            pool = self._manager().connection_from_host(
                address or host, port, parts.scheme, pool_kwargs=pool_kwargs
            )
            response = pool.urlopen(
                "POST",
                target,
                body=body.encode(),
                headers=sent,
                redirect=False,
                retries=False,
                timeout=self._timeout,
                preload_content=False,
                assert_same_host=False,
            )
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
            raise WebhookUnreachable(type(error).__name__) from None
        whole = False  # the answer read to its end: the connection can be used again
        try:
            read = 0
            for chunk in response.stream(8192):
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    break
            else:
                whole = True
        except (urllib3.exceptions.HTTPError, OSError):
            pass  # the status line came: that is the answer
        finally:
            if whole:
                response.release_conn()
            else:
                response.close()
        return int(response.status)


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
