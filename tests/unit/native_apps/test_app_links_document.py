"""The app links' request in /openapi.json, as the routes take it (a regression from
fuzzing, tests/e2e/test_fuzz_openapi.py): ``code_verifier`` is left out or a verifier,
never null, so the document offers no null for it."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

pytestmark = pytest.mark.unit


def test_the_code_verifier_offers_no_null(client: FlaskClient) -> None:
    document: dict[str, Any] = client.get("/openapi.json").get_json()
    field = document["components"]["schemas"]["RedeemLinkRequest"]["properties"]["code_verifier"]
    assert field.get("type") != "null"
    assert all(choice.get("type") != "null" for choice in field.get("anyOf", []))
    assert field.get("default", "") is not None
