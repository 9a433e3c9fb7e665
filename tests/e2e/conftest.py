from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.servers import serving


@pytest.fixture(scope="session")
def gunicorn_url(emulators: Any) -> Iterator[str]:
    # No webhook sweeper: it would queue the due deliveries of the tests that serve their own
    # gunicorn on the same emulators and send their retries (the INFO log is read by a test).
    with serving("gunicorn-e2e.log", WEBHOOK_SWEEP_INTERVAL="0") as url:
        yield url
