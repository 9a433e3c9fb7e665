"""``private_key_jwt`` on the Firestore emulator (docs/reference/oauth.md, "Client
authentication with a signed assertion"): thirty parallel token requests with one assertion,
one accepted (its ``jti`` is kept once, in the store every instance shares)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from domain.provider.assertions import ASSERTION_TYPE
from tests.support.app import app_on
from tests.support.oauth import EmulatorWorld
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(firestore: Any) -> EmulatorWorld:
    settings = make_settings()
    return EmulatorWorld(app_on(settings, build_adapters(settings, firestore=firestore)))


def test_thirty_parallel_uses_of_one_assertion_one_is_accepted(world: EmulatorWorld) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "e1"})
    jwks = json.dumps({"keys": [key.as_dict(private=False)]})
    client = world.register("--confidential", "--scope", "roles", "--jwks", jwks)
    cid, now = client["client_id"], int(time.time())
    claims = {
        "iss": cid,
        "sub": cid,
        "aud": "http://127.0.0.1:8000/oauth/token",
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
    }
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": jwt.encode({"alg": "ES256", "kid": "e1"}, claims, key),
    }
    calls: list[Callable[[FlaskClient], TestResponse]] = [
        lambda browser: browser.post("/oauth/token", data=form)
    ] * RACERS
    assert statuses(race(world.app, calls)) == {200: 1, 401: RACERS - 1}
