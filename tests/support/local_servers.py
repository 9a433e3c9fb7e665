"""Local HTTP servers for the tests, run in a thread of the test's process."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from socketserver import BaseServer


@contextlib.contextmanager
def in_thread(server: BaseServer) -> Iterator[None]:
    """``server`` answers in a daemon thread until the block ends, then is closed."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
