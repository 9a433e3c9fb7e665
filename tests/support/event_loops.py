"""asyncio code of the tests (the MCP SDK's client) run in a thread of its own: Playwright's
sync API marks its event loop as running in the thread that started it, from its start to
its stop (one per test process: tests/support/browser.py), and ``anyio.run`` and
``asyncio.run`` refuse to start in a thread whose loop runs (docs/testing.md, "The browser
tests")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import anyio


def run_apart[T, *Ts](function: Callable[[*Ts], Awaitable[T]], *args: *Ts) -> T:
    """``anyio.run(function, *args)`` in a new thread: its result, or what it raised."""

    def run() -> T:
        return anyio.run(function, *args)

    with ThreadPoolExecutor(1, thread_name_prefix="event-loop") as pool:
        return pool.submit(run).result()
