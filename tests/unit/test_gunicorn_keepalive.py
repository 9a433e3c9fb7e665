"""gunicorn keeps an idle connection longer than a device-flow client waits between polls:
a CLI polling every 5 s (up to 60 s after slow_down) against a keep-alive of 5 s sent its
POST on a connection the server was closing, and its HTTP library does not send a POST
again (seen: RemoteDisconnected in tests/e2e/test_device_flow_browser.py)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from domain.provider.device_flow import MAX_POLL_INTERVAL

pytestmark = pytest.mark.unit
CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_an_idle_connection_outlives_the_longest_poll_interval() -> None:
    keepalive = runpy.run_path(str(CONF))["keepalive"]
    assert keepalive > MAX_POLL_INTERVAL
