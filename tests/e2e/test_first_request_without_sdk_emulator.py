"""A worker serves its first authenticated request without the cloud SDK: the services bound
and the account read (user and session in one REST batch read) import neither
google-cloud-firestore nor google.api_core, which wait for the first request that needs the
client library (docs/decisions/0453-one-import-in-the-master.md), nor what only
other routes need when first used (docs/decisions/0454-plain-routing.md). The app is built as
gunicorn's worker builds it (``import wsgi``), in a process of its own, on the emulator."""

from __future__ import annotations

import os
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api import login, register
from tests.support.worker_process import in_a_worker, not_served

pytestmark = pytest.mark.e2e


FIRST_REQUEST = """
import json, sys

import wsgi

headers = {"Authorization": "Bearer " + sys.argv[1]}
client = wsgi.app.test_client()
health = client.get("/healthz").status_code
answer = client.get("/user", headers=headers)
cloud = [m for m in sys.modules if m.startswith(("google.cloud", "google.api_core", "grpc"))]
found = {
    "health": health,
    "status": answer.status_code,
    "user": answer.get_json(),
    "cloud": cloud,
    "modules": sorted(sys.modules),
}
print(json.dumps(found), flush=True)
"""


def first_request(token: str) -> dict[str, Any]:
    # What queries through the client library as a server starts, or counts each request
    # with it, is off: this is the first request's own path.
    found: dict[str, Any] = in_a_worker(
        FIRST_REQUEST,
        token,
        GOOGLE_CLOUD_PROJECT="demo-firegate",
        FIRESTORE_EMULATOR_HOST=os.environ["FIRESTORE_EMULATOR_HOST"],
        WEBHOOK_SWEEP_INTERVAL="0",
        SSO_CERTIFICATE_SWEEP_INTERVAL="0",
        RATE_LIMIT_ENABLED="false",
    )
    return found


def test_the_first_authenticated_request_needs_no_cloud_sdk(real_client: FlaskClient) -> None:
    register(real_client, "coldstart")
    token = login(real_client, "coldstart")
    found = first_request(token)
    assert found["status"] == 200 and found["user"]["username"] == "coldstart"
    assert found["cloud"] == []
    # Nor what only the provider's server, SCIM, SAML, the OpenAPI document or the command
    # line need: imported with their own first use.
    assert found["health"] == 200
    assert not_served(found["modules"]) == []
