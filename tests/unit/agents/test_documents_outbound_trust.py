"""The agents unit's metadata documents are fetched through a sender of the platform's one
outbound client, which trusts the CA bundle of SSL_CERT_FILE and nothing else, as every
other caller (tests/unit/test_outbound_trust.py;
docs/decisions/0725-one-outbound-client-made-by-the-platform.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap import build_adapters
from bootstrap.agents import AgentsAdapters, client_documents
from infrastructure.firestore.client import make_client
from infrastructure.outbound_http import PinnedWebhookSender
from tests.support.document_server import TestCa
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit


def test_documents_are_fetched_through_the_platforms_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = TestCa(tmp_path)
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")  # never called
    settings = make_settings(ssl_cert_file=ca.ca_file)
    adapters = build_adapters(
        settings, firestore=make_client(settings.service.google_cloud_project)
    )
    own = next(placed.adapters for placed in adapters.units if placed.unit.name == "agents")
    assert isinstance(own, AgentsAdapters) and own.documents_getter is None
    getter = client_documents(own, settings, adapters.platform, lambda: "").getter
    assert isinstance(getter, PinnedWebhookSender)
    assert getter.outbound is adapters.platform.outbound  # its TLS context, kept connections
    trusted = {
        int(str(cert["serialNumber"]), 16) for cert in getter.outbound.context().get_ca_certs()
    }
    assert trusted == {ca.cert.serial_number}
