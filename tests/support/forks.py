"""What a forked child draws, for tests of generators that gunicorn's workers each reseed."""

from __future__ import annotations

import os
from collections.abc import Callable


def drawn_in_a_child(draw: Callable[[], str]) -> str:
    """``draw()`` as a process forked from this one returns it."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.write(write, draw().encode())
        os._exit(0)
    os.waitpid(child, 0)
    os.close(write)
    try:
        return os.read(read, 256).decode()
    finally:
        os.close(read)
