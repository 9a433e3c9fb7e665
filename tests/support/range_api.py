"""A local range API of breached passwords, answering as Have I Been Pwned's does: ``GET
/range/{5 hex}`` is ``SUFFIX:COUNT`` lines (CRLF), and with ``Add-Padding: true`` padded with
made-up suffixes of count 0 to between 800 and 1,000 lines."""

from __future__ import annotations

import contextlib
import hashlib
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.local_servers import in_thread, send_text
from tests.support.servers import free_port


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


@dataclass
class RangeApi:
    """The passwords it knows, by times seen; what it was asked; ``delay``: seconds it waits
    before answering (a slow API)."""

    url: str = ""
    seen: dict[str, int] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    padding_asked: list[bool] = field(default_factory=list)
    delay: float = 0.0
    released: threading.Event = field(default_factory=threading.Event)

    def answer(self, prefix: str, padded: bool) -> str:
        lines = [
            f"{digest[5:]}:{count}"
            for password, count in self.seen.items()
            if (digest := sha1_hex(password)).startswith(prefix)
        ]
        # Real ranges hold hundreds of other suffixes too; some of them, and the padding.
        rng = random.Random(prefix)
        lines += [f"{rng.getrandbits(140):035X}:{rng.randint(1, 50)}" for _ in range(300)]
        if padded:
            lines += [f"{rng.getrandbits(140):035X}:0" for _ in range(rng.randint(500, 700))]
        rng.shuffle(lines)
        return "\r\n".join(lines)


@contextlib.contextmanager
def range_api(seen: dict[str, int] | None = None) -> Iterator[RangeApi]:
    """A range API on a free port of 127.0.0.1, knowing ``seen`` (password → times)."""
    api = RangeApi(seen=dict(seen or {}))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.paths.append(self.path)
            api.padding_asked.append(self.headers.get("Add-Padding") == "true")
            if api.delay:
                api.released.wait(api.delay)
            prefix = self.path.removeprefix("/range/")
            if len(prefix) != 5 or any(ch not in "0123456789ABCDEF" for ch in prefix):
                self.send_error(400)
                return
            send_text(self, api.answer(prefix, api.padding_asked[-1]), "text/plain")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    with in_thread(server):
        try:
            yield api
        finally:
            api.released.set()


def dead_url() -> str:
    """An address of 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
