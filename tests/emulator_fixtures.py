"""pytest plugin: the local emulators for integration and end-to-end tests.

Load it from ``tests/conftest.py`` with ``pytest_plugins = ["tests.emulator_fixtures"]``
(or ``["emulator_fixtures"]`` with ``tests/`` on ``sys.path``). Fixtures:

``emulators`` (session)
    Starts Firestore, Firebase Auth, Pub/Sub, Storage and maildev (the mail server: SMTP on
    the port of ``SMTP_URL``, web UI and REST API on ``MAILDEV_WEB_PORT``) in parallel -- or
    reuses those already answering, e.g. from ``python scripts/emulators.py start`` in
    another terminal, which makes repeated test runs start instantly -- puts their variables
    (``FIRESTORE_EMULATOR_HOST`` & co., ``SMTP_URL``, ``GOOGLE_CLOUD_PROJECT``) into
    ``os.environ`` for the session, and stops what it started at the end. Ports and project
    follow the same variables when they are already set. Yields the ``EmulatorSet``; its
    ``storage_bucket`` (``STORAGE_BUCKET`` or ``<project>.appspot.com``) exists in the
    storage emulator.

``clean_emulators`` (function)
    Depends on ``emulators``; wipes Firestore documents, Auth accounts, Storage (then
    re-creates ``storage_bucket``) and maildev's messages before the test. Pub/Sub is left
    alone: use unique topic names per test.

Only tests that request these fixtures pay for the emulators (a cold start of all five is
about 11-15 s, most of it firebase-tools). ``EMULATORS_START_TIMEOUT`` (seconds, default
120) bounds the wait. A failed start fails every test that needs the emulators with the
reason and the tail of ``.local/emulators/<service>.log``.

Under pytest-xdist each worker has emulators of its own, so one worker's wipe never empties
another's data: worker ``gw<i>`` moves every port ``i * 10`` above the configured one
(``worker_sets`` in scripts/emulators.py, which refuses ports of two workers that coincide),
and logs to ``.local/emulators/gw<i>/``. Worker ``gw0`` keeps the configured ports, so it
reuses emulators started beforehand on them (docs/testing.md#parallel-workers).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.emulators import load_emulators_module
from tests.support.workers import worker

if TYPE_CHECKING:
    from scripts.emulators import EmulatorSet


@pytest.fixture(scope="session")
def emulators() -> Iterator[EmulatorSet]:
    module = load_emulators_module()
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or "demo-firegate"
    bucket = os.environ.get("STORAGE_BUCKET") or f"{project}.appspot.com"
    emulator_set: EmulatorSet = module.EmulatorSet.from_env(storage_bucket=bucket)
    found = worker()
    if found is not None:
        index, count = found
        try:
            emulator_set = module.worker_sets(emulator_set, count)[index]
        except module.EmulatorError as exc:
            pytest.fail(f"the emulators did not start: {exc}", pytrace=False)
    timeout = float(os.environ.get("EMULATORS_START_TIMEOUT") or 120)
    try:
        emulator_set.start(timeout=timeout)
    except module.EmulatorError as exc:
        pytest.fail(f"the emulators did not start: {exc}", pytrace=False)
    variables = emulator_set.env()
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield emulator_set
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        emulator_set.stop()


@pytest.fixture
def clean_emulators(emulators: EmulatorSet) -> EmulatorSet:
    """The session's emulators, with Firestore, Auth and Storage emptied first."""
    emulators.wipe()
    return emulators
