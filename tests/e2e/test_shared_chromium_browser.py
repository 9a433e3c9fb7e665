"""The browser tests' one Chromium per process (tests/support/browser.py; docs/testing.md,
"The browser tests"): every use a browser context of its own, with its own options, closed
after with what it opened beside; a browser closed or killed is launched again; asyncio code
runs beside it in a thread of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from tests.support.browser import chromium
from tests.support.event_loops import run_apart

pytestmark = pytest.mark.e2e

ORIGIN = "http://firegate.test/"
SCRIPTED = "data:text/html,<title>before</title><script>document.title = 'ran'</script>"


def chromium_processes() -> list[int]:
    """The browser processes (not their renderers and helpers) this process started."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        parents[int(stat.parent.name)] = int(fields[1])

    def descends(pid: int) -> bool:
        while pid in parents and pid > 1:
            pid = parents[pid]
            if pid == os.getpid():
                return True
        return False

    found = []
    for pid in parents:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        browser = b"--remote-debugging-pipe" in command
        if browser and not any(arg.startswith(b"--type=") for arg in command) and descends(pid):
            found.append(pid)
    return found


def test_each_use_has_a_context_of_its_own_in_one_browser() -> None:
    with chromium(javascript=False) as first:
        browser = first.context.browser
        assert browser is not None
        first.context.add_cookies([{"name": "who", "value": "first", "url": ORIGIN}])
        first.goto(SCRIPTED)
        assert first.title() == "before"  # JavaScript off
        beside = browser.new_context()  # a second person's browser, never closed by the test
    assert first.context not in browser.contexts and beside not in browser.contexts
    with chromium(javascript=True, locale="es-ES", timezone_id="Pacific/Auckland") as second:
        assert second.context.browser is browser  # the same Chromium
        assert second.context.cookies() == []  # none of the first's
        second.goto(SCRIPTED)
        assert second.title() == "ran"
        assert second.evaluate("navigator.language") == "es-ES"
        zone = second.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
        assert zone == "Pacific/Auckland"


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_browser_closed_or_killed_is_launched_again() -> None:
    with chromium(javascript=True) as page:
        closed = page.context.browser
        assert closed is not None
        closed.close()  # as a test could
    with chromium(javascript=True) as page:
        killed = page.context.browser
        assert killed is not None and killed is not closed and killed.is_connected()
    [pid] = chromium_processes()
    os.kill(pid, signal.SIGKILL)  # a crash between two uses, which Playwright has not seen
    deadline = time.monotonic() + 30
    while not gone(pid):
        assert time.monotonic() < deadline, "the killed browser did not end"
        time.sleep(0.1)
    with chromium(javascript=True) as page:
        assert page.context.browser is not killed
        assert page.evaluate("2 + 2") == 4
        assert pid not in chromium_processes()


async def answer() -> int:
    await asyncio.sleep(0)
    return 42


def test_asyncio_code_runs_beside_the_browser_in_a_thread_of_its_own() -> None:
    """Playwright's sync API marks its event loop as running in this thread while it runs,
    where asyncio.run() and anyio.run() refuse to start (the MCP SDK's tests run them):
    ``run_apart`` runs them in a thread of their own, during a use and after it."""
    with chromium(javascript=False) as page:
        page.goto(SCRIPTED)
        assert run_apart(answer) == 42
    assert run_apart(answer) == 42
    with chromium(javascript=False) as page:
        page.goto(SCRIPTED)
        assert page.title() == "before"
