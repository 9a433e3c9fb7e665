"""The SSF transmitter's metadata and a stream's management (SSF 1.0 §7, §8) through the
app on the fakes (docs/reference/ssf.md, "Streams")."""

from __future__ import annotations

import pytest

from domain.shared_signals.transmitter.events import SUPPORTED
from domain.shared_signals.transmitter.streams import Delivery, InvalidStreamRequest, stream_request
from tests.support.api import assert_problem
from tests.support.app import World
from tests.unit.shared_signals.fakes import RECEIVER, TransmitterWorld

pytestmark = pytest.mark.unit

PUSH, POLL = "urn:ietf:rfc:8935", "urn:ietf:rfc:8936"
REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
PURGED = "https://schemas.openid.net/secevent/risc/event-type/account-purged"


@pytest.fixture
def world() -> TransmitterWorld:
    return TransmitterWorld()


def test_the_metadata_names_every_endpoint_and_the_providers_keys(world: TransmitterWorld) -> None:
    found = world.client.get("/.well-known/ssf-configuration").get_json()
    base = "http://127.0.0.1:8000"
    assert found == {
        "spec_version": "1_0",
        "issuer": base,
        "jwks_uri": base + "/.well-known/jwks.json",
        "delivery_methods_supported": [PUSH, POLL],
        "configuration_endpoint": base + "/ssf/streams",
        "status_endpoint": base + "/ssf/streams/status",
        "add_subject_endpoint": base + "/ssf/streams/subjects:add",
        "remove_subject_endpoint": base + "/ssf/streams/subjects:remove",
        "verification_endpoint": base + "/ssf/streams/verify",
        "authorization_schemes": [{"spec_urn": "urn:ietf:rfc:6749"}],
        "default_subjects": "NONE",
        "events_supported": list(SUPPORTED),
    }
    discovery = world.client.get("/.well-known/openid-configuration").get_json()
    assert found["issuer"] == discovery["issuer"]


def test_only_an_ssf_clients_own_token_manages_a_stream(world: TransmitterWorld) -> None:
    assert_problem(world.client.post("/ssf/streams", json={}), 401, "missing_token")
    other = world.register("--confidential", name="Not a receiver")
    answer = world.client.post("/ssf/streams", json={}, headers=world.client_headers(other))
    assert_problem(answer, 403, "not_an_ssf_client")
    _, session = world.alice()  # a person's session token is no provider token
    assert_problem(world.client.get("/ssf/streams", headers=session), 401, "invalid_token")


def test_a_push_stream_gets_the_requested_events_it_supports(world: TransmitterWorld) -> None:
    created = world.create(
        delivery={"method": PUSH, "endpoint_url": RECEIVER, "authorization_header": "Bearer x"},
        events_requested=[PURGED, "https://example.com/unknown", REVOKED],
        description="Our receiver",
    )
    assert created["aud"] == world.rp["client_id"] and created["iss"] == "http://127.0.0.1:8000"
    assert created["delivery"] == {"method": PUSH, "endpoint_url": RECEIVER}  # no header shown
    assert created["events_requested"] == [PURGED, "https://example.com/unknown", REVOKED]
    assert created["events_delivered"] == [REVOKED, PURGED]
    assert created["events_supported"] == list(SUPPORTED)
    read = world.call("GET", "/ssf/streams", query_string={"stream_id": created["stream_id"]})
    assert read.get_json() == created
    assert world.call("GET", "/ssf/streams").get_json() == [created]


def test_a_second_stream_of_one_client_is_a_conflict(world: TransmitterWorld) -> None:
    world.create()
    assert_problem(world.call("POST", "/ssf/streams", json={}), 409, "stream_exists")


def test_a_poll_stream_is_given_its_poll_endpoint(world: TransmitterWorld) -> None:
    created = world.create(delivery={"method": POLL})
    url = f"http://127.0.0.1:8000/ssf/poll/{created['stream_id']}"
    assert created["delivery"] == {"method": POLL, "endpoint_url": url}
    answer = world.call("POST", "/ssf/streams", json={"delivery": {"method": POLL}})
    assert answer.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"delivery": {"method": "urn:example:carrier-pigeon"}},
        {"delivery": {"method": PUSH}},
        {"delivery": {"method": PUSH, "endpoint_url": "ftp://receiver.example.com/"}},
        {"delivery": {"method": POLL, "endpoint_url": RECEIVER}},
        {"delivery": "push"},
        {"events_requested": "all"},
        {"events_requested": [1]},
        {"description": ""},
    ],
)
def test_a_configuration_ssf_does_not_allow_is_a_400(
    world: TransmitterWorld, body: dict[str, object]
) -> None:
    assert_problem(world.call("POST", "/ssf/streams", json=body), 400, "invalid_stream_request")
    assert world.call("GET", "/ssf/streams").get_json() == []


def test_outside_the_local_profile_a_receiver_must_be_https() -> None:
    http = {"delivery": {"method": PUSH, "endpoint_url": "http://receiver.example.com/"}}
    with pytest.raises(InvalidStreamRequest):
        stream_request(http, local=False, whole=True)
    assert stream_request(http, local=True, whole=True).delivery is not None
    https = {"delivery": {"method": PUSH, "endpoint_url": RECEIVER}}
    assert stream_request(https, local=False, whole=True).delivery == Delivery(PUSH, RECEIVER)


def test_an_update_changes_what_it_names_and_a_replace_all(world: TransmitterWorld) -> None:
    created = world.create(
        delivery={"method": PUSH, "endpoint_url": RECEIVER}, events_requested=[REVOKED]
    )
    stream_id = created["stream_id"]
    patched = world.call(
        "PATCH", "/ssf/streams", json={"stream_id": stream_id, "events_requested": [PURGED]}
    ).get_json()
    assert patched["events_delivered"] == [PURGED]
    assert patched["delivery"] == created["delivery"]
    replaced = world.call("PUT", "/ssf/streams", json={"stream_id": stream_id}).get_json()
    assert replaced["delivery"]["method"] == POLL and replaced["events_requested"] == []
    other = world.call("PATCH", "/ssf/streams", json={"stream_id": "another"})
    assert_problem(other, 404, "stream_not_found")
    unnamed = world.call("PUT", "/ssf/streams", json={})
    assert_problem(unnamed, 400, "invalid_stream_request")


def test_a_deleted_stream_is_gone_with_its_subjects(world: TransmitterWorld) -> None:
    stream_id = world.create()["stream_id"]
    user_id, _ = world.alice()
    world.follow(stream_id, user_id)
    gone = world.call("DELETE", "/ssf/streams", query_string={"stream_id": stream_id})
    assert gone.status_code == 204
    assert world.call("GET", "/ssf/streams").get_json() == []
    assert world.store_of.subjects == {}
    again = world.call("DELETE", "/ssf/streams", query_string={"stream_id": stream_id})
    assert_problem(again, 404, "stream_not_found")
    assert world.create()["stream_id"] != stream_id


def test_a_stream_is_enabled_paused_and_disabled(world: TransmitterWorld) -> None:
    stream_id = world.create()["stream_id"]
    query = {"stream_id": stream_id}
    status = world.call("GET", "/ssf/streams/status", query_string=query).get_json()
    assert status == {"stream_id": stream_id, "status": "enabled"}
    paused = world.call(
        "POST",
        "/ssf/streams/status",
        json={"stream_id": stream_id, "status": "paused", "reason": "maintenance"},
    ).get_json()
    assert paused == {"stream_id": stream_id, "status": "paused", "reason": "maintenance"}
    assert world.call("GET", "/ssf/streams/status", query_string=query).get_json() == paused
    bad = world.call("POST", "/ssf/streams/status", json={"stream_id": stream_id, "status": "x"})
    assert_problem(bad, 400, "invalid_stream_request")
    unnamed = world.call("GET", "/ssf/streams/status")
    assert_problem(unnamed, 400, "invalid_stream_request")


def test_subjects_are_added_by_each_format_and_removed(world: TransmitterWorld) -> None:
    stream_id = world.create()["stream_id"]
    user_id, _ = world.alice()
    subjects = [
        {"format": "opaque", "id": user_id},
        {"format": "iss_sub", "iss": "http://127.0.0.1:8000", "sub": user_id},
    ]
    for subject in subjects:
        body = {"stream_id": stream_id, "subject": subject}
        assert world.call("POST", "/ssf/streams/subjects:add", json=body).status_code == 200
        assert world.store_of.subjects[(stream_id, user_id)][1].as_json() == subject
        removed = world.call("POST", "/ssf/streams/subjects:remove", json=body)
        assert removed.status_code == 204 and world.store_of.subjects == {}


@pytest.mark.parametrize(
    "subject",
    [
        {"format": "opaque", "id": "nobody"},
        {"format": "iss_sub", "iss": "https://elsewhere.example.com", "sub": "?"},
        {"format": "email", "email": "nobody@example.com"},
        {"format": "email", "email": "alice@example.com"},  # not proven: followed by nothing
        {"format": "email", "email": "not an address"},
    ],
)
def test_a_subject_that_names_no_account_is_accepted_and_follows_nothing(
    world: TransmitterWorld, subject: dict[str, str]
) -> None:
    stream_id = world.create()["stream_id"]
    body = {"stream_id": stream_id, "subject": subject}
    assert world.call("POST", "/ssf/streams/subjects:add", json=body).status_code == 200
    assert world.store_of.subjects == {}


@pytest.mark.parametrize(
    "subject",
    [
        None,
        "alice",
        {"format": "phone_number", "phone_number": "+15555550100"},
        {"format": "email"},
        {"format": "opaque", "id": ""},
    ],
)
def test_a_subject_of_another_format_is_a_400(world: TransmitterWorld, subject: object) -> None:
    stream_id = world.create()["stream_id"]
    body = {"stream_id": stream_id, "subject": subject}
    answer = world.call("POST", "/ssf/streams/subjects:add", json=body)
    assert_problem(answer, 400, "invalid_stream_request")


def test_another_clients_stream_is_not_found(world: TransmitterWorld) -> None:
    stream_id = world.create()["stream_id"]
    other = world.register("--confidential", "--ssf", name="Another receiver")
    headers = world.client_headers(other)
    for method, path in (("GET", "/ssf/streams"), ("DELETE", "/ssf/streams")):
        answer = world.client.open(
            path, method=method, headers=headers, query_string={"stream_id": stream_id}
        )
        assert_problem(answer, 404, "stream_not_found")
    assert world.call("GET", "/ssf/streams").get_json()[0]["stream_id"] == stream_id


def test_with_the_provider_off_there_is_no_transmitter() -> None:
    world = World(oauth_provider=False)
    assert_problem(world.client.get("/.well-known/ssf-configuration"), 404, "not_found")
    assert_problem(world.client.post("/ssf/streams", json={}), 404, "not_found")
    args = ["clients", "create", "--name", "R", "--redirect-uri", "https://rp.example/cb"]
    made = world.app.test_cli_runner().invoke(args=[*args, "--confidential", "--ssf"])
    assert made.exit_code != 0 and "OAUTH_PROVIDER" in made.output


@pytest.mark.parametrize(
    ("verify", "interval"),
    [("10/minute,60/hour", 60), ("2/minute", 30), ("7/minute", 9)],
)
def test_a_stream_says_how_often_it_may_be_verified(verify: str, interval: int) -> None:
    """The seconds a receiver waits between verifications to be refused by no window of
    RATE_LIMIT_SSF_VERIFY (SSF 1.0 §8.1.1 ``min_verification_interval``), which it cannot
    set."""
    world = TransmitterWorld(rate_limit_ssf_verify=verify)
    created = world.create(min_verification_interval=1)
    assert created["min_verification_interval"] == interval
    read = world.call("GET", "/ssf/streams", query_string={"stream_id": created["stream_id"]})
    assert read.get_json()["min_verification_interval"] == interval


@pytest.mark.parametrize("settings", [{"rate_limit_ssf_verify": ""}, {"rate_limit_enabled": False}])
def test_a_stream_verified_without_limit_names_no_interval(settings: dict[str, object]) -> None:
    created = TransmitterWorld(**settings).create()
    assert "min_verification_interval" not in created
