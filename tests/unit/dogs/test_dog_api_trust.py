"""The Dog CEO API is called through requests, whose session reads nothing of the
environment: it trusts the CA bundle of every outbound call, SSL_CERT_FILE's
(docs/configuration.md, "Service")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap import build_adapters
from infrastructure.firestore.client import make_client
from tests.support.app import unit_adapters
from tests.support.document_server import TestCa, document_server, served_json
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

PICTURE = "https://images.dog.ceo/breeds/hound/1.jpg"


def test_the_picture_api_is_trusted_through_the_bundle_of_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = TestCa(tmp_path)
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")  # never called
    with document_server(ca) as server:
        server.paths["/api/breeds/image/random"] = served_json(
            {"status": "success", "message": PICTURE}
        )
        settings = make_settings(
            ssl_cert_file=ca.ca_file, dog_api_url=server.base + "/api/breeds/image/random"
        )
        adapters = build_adapters(settings, firestore=make_client("demo-firegate"))
        assert unit_adapters(adapters, "dogs").pictures.random_picture() == PICTURE
