"""Token exchange (RFC 8693) through Flask's test client on the Firestore emulator: an
exchanged token never outlives its subject, is not swapped again for its own target, keeps
a DPoP-bound subject bound (to the exchanging client's key), and is revoked by itself by the
client that got it, the subject's grant untouched; DPoP on the device-code and
client-credentials grants beside it (docs/reference/oauth.md, "Token exchange", "DPoP")."""

from __future__ import annotations

import time
from typing import Any

import pytest
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from domain.clients.oauth import DEVICE_CODE
from domain.provider.token_exchange import ACCESS_TOKEN, GRANT_TYPE
from interfaces.provider.routes import EXTENSION
from tests.support.app import app_on
from tests.support.dpop import DpopKey, claims_of
from tests.support.oauth import EmulatorWorld, csrf_of
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

API = "https://api.example.com/"
BILLING = "https://billing.example.com/"


@pytest.fixture
def world(firestore: Any) -> EmulatorWorld:
    settings = make_settings()
    return EmulatorWorld(app_on(settings, build_adapters(settings, firestore=firestore)))


def service_of(world: EmulatorWorld) -> dict[str, Any]:
    """A resource server (an API) allowed to exchange for its other resource."""
    return world.register(
        "--confidential", "--grant", "token_exchange", "--resource", API, "--resource", BILLING,
        name="Orders API",
    )  # fmt: skip


def exchange(
    world: EmulatorWorld,
    service: dict[str, Any],
    subject: str,
    target: str = BILLING,
    proof: str | None = None,
) -> TestResponse:
    body = {
        "grant_type": GRANT_TYPE,
        "subject_token": subject,
        "subject_token_type": ACCESS_TOKEN,
        "resource": target,
        "client_id": service["client_id"],
        "client_secret": service["client_secret"],
    }
    headers = {"DPoP": proof} if proof is not None else {}
    return world.client.post("/oauth/token", data=body, headers=headers)


def exchanged(answer: TestResponse) -> dict[str, Any]:
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def refused(answer: TestResponse, error: str) -> str:
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"] == error, answer.get_json()
    description: str = answer.get_json()["error_description"]
    return description


def resigned(world: EmulatorWorld, token: str, exp: int) -> str:
    """The same token signed by the provider's keys with another ``exp``."""
    keys = world.app.extensions[EXTENSION].get().config.keys
    signed: str = keys.sign_access({**claims_of(token), "exp": exp})
    return signed


def test_an_exchanged_token_never_outlives_its_first_subject(world: EmulatorWorld) -> None:
    service = service_of(world)
    person = world.tokens(service, resource=API)["access_token"]
    ends = int(time.time()) + 90  # sooner than the exchanged token's own lifetime
    subject = resigned(world, person, ends)
    first = exchanged(exchange(world, service, subject))
    assert claims_of(first["access_token"])["exp"] == ends
    assert 0 < first["expires_in"] <= 90
    # exchanged again, for another target: still within the first subject's exp
    second = exchanged(exchange(world, service, first["access_token"], API))
    assert claims_of(second["access_token"])["exp"] == ends and second["expires_in"] <= 90
    third = exchanged(exchange(world, service, second["access_token"], BILLING))
    assert claims_of(third["access_token"])["exp"] == ends
    assert claims_of(third["access_token"])["act"] == {
        "sub": service["client_id"],
        "act": {"sub": service["client_id"], "act": {"sub": service["client_id"]}},
    }


def test_a_client_does_not_swap_its_exchanged_token_again_for_the_same_target(
    world: EmulatorWorld,
) -> None:
    service = service_of(world)
    person = world.tokens(service, resource=API)["access_token"]
    first = exchanged(exchange(world, service, person))  # for BILLING
    again = exchange(world, service, first["access_token"], BILLING)
    assert "another resource" in refused(again, "invalid_grant")
    second = exchanged(exchange(world, service, first["access_token"], API))
    once_more = exchange(world, service, second["access_token"], API)
    assert "another resource" in refused(once_more, "invalid_grant")
    # the person's own token (not from an exchange) is exchanged for its target as before
    assert exchange(world, service, person, API).status_code == 200


def test_an_expired_subject_token_is_refused(world: EmulatorWorld) -> None:
    service = service_of(world)
    person = world.tokens(service, resource=API)["access_token"]
    expired = resigned(world, person, int(time.time()) - 5)
    assert "expired" in refused(exchange(world, service, expired), "invalid_grant")


def bound_person_token(world: EmulatorWorld, key: DpopKey) -> str:
    """A person's access token for the API, through a public app, bound to the app's key."""
    app = world.register("--resource", API, name="A single-page app")
    code, verifier = world.code(app["client_id"], resource=API)
    world.client.environ_base["HTTP_DPOP"] = key.proof()
    try:
        answer = world.exchange(app, code, verifier)
    finally:
        del world.client.environ_base["HTTP_DPOP"]
    tokens = exchanged(answer)
    assert tokens["token_type"] == "DPoP"
    found: str = tokens["access_token"]
    return found


def test_a_bound_subject_is_exchanged_only_with_the_exchanging_clients_proof(
    world: EmulatorWorld,
) -> None:
    service, app_key, service_key = service_of(world), DpopKey(), DpopKey()
    subject = bound_person_token(world, app_key)
    assert claims_of(subject)["cnf"] == {"jkt": app_key.jkt}
    unbound = exchange(world, service, subject)
    assert "DPoP" in refused(unbound, "invalid_dpop_proof")
    made = exchanged(exchange(world, service, subject, proof=service_key.proof()))
    assert made["token_type"] == "DPoP"
    assert claims_of(made["access_token"])["cnf"] == {"jkt": service_key.jkt}


def introspected(world: EmulatorWorld, client: dict[str, Any], token: str) -> dict[str, Any]:
    auth = {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    found: dict[str, Any] = world.client.post(
        "/oauth/introspect", data={"token": token, **auth}
    ).get_json()
    return found


def test_the_exchanging_client_revokes_its_token_and_not_the_subjects_grant(
    world: EmulatorWorld, firestore: Any
) -> None:
    service = service_of(world)
    app = world.register("--confidential", "--resource", API, name="A web app")
    person = world.tokens(app, resource=API)  # the grant is the app's
    made = exchanged(exchange(world, service, person["access_token"]))["access_token"]
    assert introspected(world, service, made)["active"] is True
    auth = {"client_id": service["client_id"], "client_secret": service["client_secret"]}
    revoked = world.client.post("/oauth/revoke", data={"token": made, **auth})
    assert revoked.status_code == 200
    assert introspected(world, service, made) == {"active": False}
    assert introspected(world, service, person["access_token"])["active"] is True
    assert introspected(world, app, person["refresh_token"])["active"] is True
    (grant,) = [doc.to_dict() for doc in firestore.collection("oauth_grants").stream()]
    assert grant["revoked"] is False
    # revoked by itself: exchanged again, the person's token still gives a new one
    assert exchange(world, service, person["access_token"]).status_code == 200


def test_a_client_credentials_token_asked_with_a_proof_is_bound(world: EmulatorWorld) -> None:
    service, key = world.register("--confidential", name="A service"), DpopKey()
    body = {"grant_type": "client_credentials", "client_id": service["client_id"]}
    answer = world.client.post(
        "/oauth/token",
        data={**body, "client_secret": service["client_secret"]},
        headers={"DPoP": key.proof()},
    )
    token = exchanged(answer)
    assert token["token_type"] == "DPoP"
    assert claims_of(token["access_token"])["cnf"] == {"jkt": key.jkt}


def test_device_code_tokens_polled_with_a_proof_are_bound(world: EmulatorWorld) -> None:
    cli, key = world.register("--grant", "device_code", name="A command line"), DpopKey()
    started = world.client.post(
        "/oauth/device_authorization", data={"client_id": cli["client_id"]}
    ).get_json()
    html = world.client.get("/device").get_data(as_text=True)
    decided = {"user_code": started["user_code"], "decision": "allow", "csrf_token": csrf_of(html)}
    assert world.client.post("/device", data=decided).status_code == 200
    poll = {"grant_type": DEVICE_CODE, "device_code": started["device_code"]}
    answer = world.client.post(
        "/oauth/token", data={**poll, "client_id": cli["client_id"]}, headers={"DPoP": key.proof()}
    )
    token = exchanged(answer)
    assert token["token_type"] == "DPoP"
    assert claims_of(token["access_token"])["cnf"] == {"jkt": key.jkt}
