from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.servers import serving


@pytest.fixture(scope="session")
def gunicorn_url(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-e2e.log") as url:  # INFO: the log file is read by a test
        yield url
