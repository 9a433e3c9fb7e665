"""The app on the fakes, with the unit's fakes reading the app's own outbox entries."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bootstrap import Adapters
from infrastructure.settings import Settings
from tests.fakes.events import RecordingAuditLog
from tests.fakes.federation import FakeIdentityVerifier
from tests.fakes.kernel import FakeJobQueue, InMemoryStore
from tests.support.app import fake_adapters, swap
from tests.unit.log_streams.fakes import on_store


@pytest.fixture
def adapters(
    store: InMemoryStore,
    identity_verifier: FakeIdentityVerifier,
    audit_log: RecordingAuditLog,
    app_settings: Settings,
    *,
    job_queue: FakeJobQueue,
) -> Adapters:
    made = swap(
        fake_adapters(app_settings, store),
        identity_verifier=identity_verifier,
        audit=audit_log,
        job_queue=job_queue.attach,
    )
    return replace(made, units=on_store(made.units, store))
