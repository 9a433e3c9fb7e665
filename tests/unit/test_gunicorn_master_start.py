"""gunicorn's master checks the settings as a worker starts (gunicorn.conf.py, on_starting):
without the cyclic garbage collector, given back whatever the check decides, so that the
workers forked after it start as src/wsgi.py starts them."""

from __future__ import annotations

import gc
import os
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from infrastructure.settings import Settings
from tests.support.settings import TEST_MFA_KEY

pytestmark = pytest.mark.unit
CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.fixture
def on_starting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[object], None]]:
    """The hook, with an environment of the test's own (the check adds to it)."""
    monkeypatch.setattr(
        os, "environ", {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    )
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")  # the file's mallopt left alone
    hook: Callable[[object], None] = runpy.run_path(str(CONF))["on_starting"]
    yield hook
    gc.enable()


def server() -> Any:
    return SimpleNamespace(log=SimpleNamespace(warning=lambda *args: None))


def paused_during(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the collector was paused while the settings were checked."""
    seen: list[bool] = []
    real = Settings.__init__

    def checked(self: Settings, **values: Any) -> None:
        seen.append(not gc.isenabled())
        real(self, **values)

    monkeypatch.setattr(Settings, "__init__", checked)
    return seen


def test_the_check_runs_as_a_workers_start_and_gives_both_back(
    on_starting: Callable[[object], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "APP_PROFILE": "local",
        "JWT_SECRET": "x" * 40,
        "MFA_ENCRYPTION_KEY": TEST_MFA_KEY,
        "GOOGLE_CLOUD_PROJECT": "demo-test",
    }.items():
        os.environ[name] = value
    seen = paused_during(monkeypatch)
    on_starting(server())
    assert seen == [True]
    assert gc.isenabled()


def test_and_when_the_settings_are_refused(
    on_starting: Callable[[object], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    os.environ.update(APP_PROFILE="production", JWT_SECRET="")
    seen = paused_during(monkeypatch)
    with pytest.raises(SystemExit) as refused:
        on_starting(server())
    assert refused.value.code == 3
    assert seen == [True]
    assert gc.isenabled()
