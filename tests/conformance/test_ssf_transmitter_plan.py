"""The OpenID SSF transmitter plan (``openid-ssf-transmitter-test-plan``, "OpenID Shared
Signals Framework 1.0 Final: Transmitter"): one test per module, in the plan's order, with
the plan's variants as firegate is configured for it (metadata by discovery, a static
client registered with ``--ssf`` that authenticates with ``client_secret_basic`` for its
token, push delivery to the suite's endpoint, poll where the module polls), sending what
the module sends and asserting what its conditions assert (docs/conformance.md, "SSF
transmitter")."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import jwt
import pytest
from werkzeug.test import TestResponse

from tests.fakes.kernel import FakeJobQueue
from tests.support.app import app_on_emulator, deliver_jobs
from tests.support.conformance import ISSUER, HttpsBrowser
from tests.support.local_servers import in_thread
from tests.support.settings import make_settings

pytestmark = pytest.mark.conformance

PUSH, POLL = "urn:ietf:rfc:8935", "urn:ietf:rfc:8936"
CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
VERIFICATION = "https://schemas.openid.net/secevent/ssf/event-type/verification"
# OIDSSFPrepareStreamConfigObjectAddRequestedEvents.DEFAULT_EVENTS
DEFAULT_EVENTS = [
    CAEP + "session-revoked",
    CAEP + "credential-change",
    CAEP + "device-compliance-change",
]
# SsfEvents.STANDARD_EVENT_TYPES: what OIDSSFCheckSupportedEventsForStream accepts
STANDARD_EVENTS = {
    *(
        CAEP + name
        for name in (
            "session-revoked",
            "token-claims-change",
            "credential-change",
            "assurance-level-change",
            "device-compliance-change",
            "session-established",
            "session-presented",
            "risk-level-change",
        )
    ),
    *(
        "https://schemas.openid.net/secevent/risc/event-type/" + name
        for name in (
            "account-credential-change-required",
            "account-purged",
            "account-disabled",
            "account-enabled",
            "identifier-changed",
            "identifier-recycled",
            "credential-compromise",
            "opt-in",
            "opt-out-initiated",
            "opt-out-cancelled",
            "opt-out-effective",
            "recovery-activated",
            "recovery-information-changed",
            "sessions-revoked",
        )
    ),
}
AUTHORIZATION = "Bearer suite-push-secret"  # ssf.transmitter.push_endpoint_authorization_header


class PushEndpoint(BaseHTTPRequestHandler):
    """The suite's push endpoint (OIDSSFHandlePushDeliveryToReceiver): keeps each SET with
    its headers, answers 202."""

    received: ClassVar[list[tuple[dict[str, str], str]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        with self.lock:
            self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def push_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), PushEndpoint)
    with in_thread(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/ssf/push"


class SsfSuite:
    """The suite's side: the transmitter's metadata found by discovery, its static client
    (``clients create --confidential --ssf``) and that client's access token (client
    credentials, ``client_secret_basic``), and the push endpoint."""

    def __init__(self, firestore: Any, push_url: str) -> None:
        self.queue = FakeJobQueue()
        self.app = app_on_emulator(make_settings(public_url=ISSUER), firestore, self.queue)
        self.browser = HttpsBrowser(self.app, self.app.response_class)
        self.push_url = push_url
        args = ["clients", "create", "--name", "OpenID SSF conformance", "--confidential"]
        args += ["--redirect-uri", ISSUER + "/callback", "--ssf"]
        result = self.app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
        self.client: dict[str, Any] = json.loads(result.output)
        # OIDSSFGetDynamicTransmitterConfiguration: {issuer}/.well-known/ssf-configuration
        answer = self.browser.get("/.well-known/ssf-configuration")
        assert answer.status_code == 200 and answer.mimetype == "application/json"
        self.metadata: dict[str, Any] = answer.get_json()
        self.token = self.access_token()
        PushEndpoint.received.clear()

    def path(self, url: str) -> str:
        assert url.startswith(ISSUER + "/"), url
        return url[len(ISSUER) :]

    def access_token(self) -> str:
        """obtainTransmitterAccessToken: the client credentials grant, client_secret_basic."""
        pair = f"{self.client['client_id']}:{self.client['client_secret']}".encode()
        basic = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        answer = self.browser.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic
        )
        assert answer.status_code == 200, answer.get_json()
        token: str = answer.get_json()["access_token"]
        return token

    def call(
        self, method: str, endpoint: str, token: str | None = None, **kwargs: Any
    ) -> TestResponse:
        """A call of a metadata endpoint with the stream's token (``token``: another)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.browser.open(
            self.path(self.metadata[endpoint]), method=method, headers=headers, **kwargs
        )

    def clean_up(self) -> None:
        """cleanUpStreamConfigurationIfNecessary: the client's streams read and deleted."""
        found = self.call("GET", "configuration_endpoint")
        assert found.status_code == 200
        for stream in found.get_json():
            query = {"stream_id": stream["stream_id"]}
            gone = self.call("DELETE", "configuration_endpoint", query_string=query)
            assert gone.status_code == 204

    def config(self, method: str, *, authorization: str | None = AUTHORIZATION) -> dict[str, Any]:
        """OIDSSFCreateStreamConditionSequence's body: a description, DEFAULT_EVENTS, and the
        delivery of the module's delivery mode."""
        delivery: dict[str, str] = {"method": method}
        if method == PUSH:
            delivery["endpoint_url"] = self.push_url
            if authorization is not None:
                delivery["authorization_header"] = authorization
        return {
            "description": "Stream for OIDF Conformance Test-Suite",
            "events_requested": DEFAULT_EVENTS,
            "delivery": delivery,
        }

    def create(self, method: str = PUSH, **kwargs: Any) -> TestResponse:
        return self.call("POST", "configuration_endpoint", json=self.config(method, **kwargs))

    def stream(self, method: str = PUSH, **kwargs: Any) -> dict[str, Any]:
        """A stream made as the module makes it (EnsureHttpStatusCodeIs201)."""
        self.clean_up()
        made = self.create(method, **kwargs)
        assert made.status_code == 201, made.get_json()
        found: dict[str, Any] = made.get_json()
        return found

    def create_and_delete(self) -> str:
        """OIDSSFCreateAndDeleteStreamConditionSequence: a valid stream_id no stream has."""
        stream_id: str = self.stream()["stream_id"]
        query = {"stream_id": stream_id}
        assert self.call("DELETE", "configuration_endpoint", query_string=query).status_code == 204
        return stream_id

    def trigger_verification(self, stream_id: str) -> str:
        """OIDSSFTriggerVerificationEvent with a random state: EnsureHttpStatusCodeIs204."""
        state = secrets.token_urlsafe(16)
        body = {"stream_id": stream_id, "state": state}
        answer = self.call("POST", "verification_endpoint", json=body)
        assert answer.status_code == 204
        deliver_jobs(self.queue, self.app.extensions["firegate"])  # the transmitter's push
        return state

    def poll(self, stream: dict[str, Any], **body: Any) -> dict[str, Any]:
        """OIDSSFCallPollEndpoint at the stream's endpoint_url."""
        url = stream["delivery"]["endpoint_url"]
        answer = self.browser.post(
            self.path(url), json=body, headers={"Authorization": f"Bearer {self.token}"}
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        found: dict[str, Any] = answer.get_json()
        return found

    def verified_event(self, token: str, stream: dict[str, Any]) -> dict[str, Any]:
        """parseVerificationEventInResponse and verifyParsedVerificationEventCommon."""
        keys = jwt.PyJWKSet.from_dict(
            self.browser.get(self.path(self.metadata["jwks_uri"])).get_json()
        )
        header = jwt.get_unverified_header(token)
        # OIDSSFVerifySignatureOfSecurityEventToken
        claims: dict[str, Any] = jwt.decode(
            token,
            keys[header["kid"]].key,
            algorithms=[header["alg"]],
            options={"verify_aud": False},
        )
        # OIDSSFEnsureSecurityEventTokenUsesTypeSecEventJwt
        assert header["typ"] == "secevent+jwt"
        # OIDSSFEnsureSecurityEventTokenContainsSingleEvent
        assert len(claims["events"]) == 1
        # OIDSSFEnsureSecurityEventTokenDoesNotContainSubClaim, ...DoesNotContainExpClaim
        assert "sub" not in claims and "exp" not in claims
        # OIDSSFEnsureSecurityEventTokenIssuerMatchesStreamConfigurationIssuer
        assert claims["iss"] == stream["iss"]
        # OIDSSFValidateSecurityEventTokenAudClaim, OIDSSFEnsureEventContainsStreamAudience
        assert isinstance(claims["aud"], str) and claims["aud"] == stream["aud"]
        # OIDSSFCheckVerificationEventSubjectId: opaque, the stream's id
        assert claims["sub_id"] == {"format": "opaque", "id": stream["stream_id"]}
        assert isinstance(claims["iat"], int) and claims["jti"]
        return claims


@pytest.fixture
def suite(firestore: Any, push_endpoint: str) -> SsfSuite:
    return SsfSuite(firestore, push_endpoint)


def assert_stream(found: dict[str, Any], suite: SsfSuite, method: str) -> None:
    """OIDSSFStreamRequiredFieldsCheck,
    OIDSSFCheckTransmitterMetadataIssuerMatchesIssuerInResponse, OIDSSFCheckStreamAudience,
    OIDSSFCheckStreamDeliveryMethod, OIDSSFCheckSupportedEventsForStream."""
    assert {"stream_id", "iss", "aud", "events_delivered", "delivery"} <= set(found)
    assert found["iss"].rstrip("/") == suite.metadata["issuer"].rstrip("/")
    assert found["aud"] == suite.client["client_id"]
    assert found["delivery"]["method"] == method
    assert set(found["events_supported"]) <= STANDARD_EVENTS


def test_openid_ssf_transmitter_metadata(suite: SsfSuite) -> None:
    found = suite.metadata
    # OIDSSFCheckTransmitterMetadataIssuer: the issuer the suite was configured with
    assert found["issuer"] == ISSUER
    # OIDSSFEnsureHttpsUrlsTransmitterMetadataCheck
    for name in (
        "jwks_uri",
        "configuration_endpoint",
        "status_endpoint",
        "add_subject_endpoint",
        "remove_subject_endpoint",
        "verification_endpoint",
    ):
        assert found[name].startswith("https://"), name
    # OIDSSFRequiredFieldsTransmitterMetadataCheck; the optional fields (INFO)
    assert "issuer" in found and found["spec_version"] == "1_0"
    # OIDSSFDefaultSubjectsTransmitterMetadataCheck
    assert found["default_subjects"] in ("ALL", "NONE")
    # OIDSSFAuthorizationSchemesTransmitterMetadataCheck: each a spec_urn that is a urn
    assert all(scheme["spec_urn"].startswith("urn:") for scheme in found["authorization_schemes"])
    # OIDSSFCheckSupportedDeliveryMethods
    assert set(found["delivery_methods_supported"]) == {PUSH, POLL}
    # OIDSSFEnsureNonEmptyArrayClaimsCheck
    assert all(value != [] for value in found.values())
    # CheckJwksUri, FetchServerKeys, ValidateJwksSequence
    keys = suite.browser.get(suite.path(found["jwks_uri"])).get_json()["keys"]
    kids = [key["kid"] for key in keys]
    assert kids and len(kids) == len(set(kids))
    assert all(not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(key) for key in keys)


def test_openid_ssf_stream_control_happy_path(suite: SsfSuite) -> None:
    created = suite.stream(PUSH)
    assert_stream(created, suite, PUSH)
    query = {"stream_id": created["stream_id"]}
    # OIDSSFReadStreamConfigCall: 200
    read = suite.call("GET", "configuration_endpoint", query_string=query)
    assert read.status_code == 200
    assert_stream(read.get_json(), suite, PUSH)
    # OIDSSFUpdateStreamConditionSequence: PATCH with stream_id and a new description
    body = {**suite.config(PUSH), "stream_id": created["stream_id"]}
    updated = suite.call(
        "PATCH",
        "configuration_endpoint",
        json={**body, "description": "Updated Stream for Receiver OIDF Conformance Test-Suite"},
    )
    assert updated.status_code == 200 and updated.get_json()["iss"] == ISSUER
    # OIDSSFReplaceStreamConditionSequence: PUT
    replaced = suite.call(
        "PUT",
        "configuration_endpoint",
        json={**body, "description": "Replaced Stream for Receiver OIDF Conformance Test-Suite"},
    )
    assert replaced.status_code == 200 and replaced.get_json()["iss"] == ISSUER
    assert replaced.get_json()["description"].startswith("Replaced")
    # OIDSSFReadStreamStatusCall
    status = suite.call("GET", "status_endpoint", query_string=query)
    assert status.status_code == 200 and status.get_json()["status"] == "enabled"
    # OIDSSFUpdateStreamStatusCall for each StreamStatus; OIDSSFCheckExpectedJsonResponseContents
    for value in ("enabled", "paused", "disabled"):
        changed = suite.call("POST", "status_endpoint", json={**query, "status": value})
        assert changed.status_code == 200 and changed.mimetype == "application/json"
        assert changed.get_json()["status"] == value
    # OIDSSFDeleteStreamConfigCall: 204
    assert suite.call("DELETE", "configuration_endpoint", query_string=query).status_code == 204


def test_openid_ssf_stream_control_error_create_stream_with_broken_input(suite: SsfSuite) -> None:
    suite.clean_up()
    # OIDSSFInsertBrokenStreamConfigJsonOverride: EnsureHttpStatusCodeIs400
    answer = suite.call(
        "POST", "configuration_endpoint", data=";{ broken", content_type="application/json"
    )
    assert answer.status_code == 400


INVALID_TOKEN = (
    "invalid:" + "5d0a7c64-3c43-4f3e-9a3a-6a1f8e6b2f10"
)  # OIDSSFInjectInvalidAccessTokenOverride


def test_openid_ssf_stream_control_error_create_stream_with_invalid_token(suite: SsfSuite) -> None:
    suite.clean_up()
    answer = suite.call(
        "POST", "configuration_endpoint", token=INVALID_TOKEN, json=suite.config(PUSH)
    )
    assert answer.status_code == 401  # EnsureHttpStatusCodeIs401


def test_openid_ssf_stream_control_error_create_stream_with_duplicate_config(
    suite: SsfSuite,
) -> None:
    suite.clean_up()
    assert suite.create().status_code == 201
    # EnsureHttpStatusCodeIsAnyOf(201, 409): one stream per receiver, 409
    assert suite.create().status_code == 409


def test_openid_ssf_stream_control_error_read_stream_with_invalid_token(suite: SsfSuite) -> None:
    stream_id = suite.stream()["stream_id"]
    query = {"stream_id": stream_id}
    answer = suite.call("GET", "configuration_endpoint", token=INVALID_TOKEN, query_string=query)
    assert answer.status_code == 401


def test_openid_ssf_stream_control_error_read_unknown_stream(suite: SsfSuite) -> None:
    stream_id = suite.create_and_delete()
    answer = suite.call("GET", "configuration_endpoint", query_string={"stream_id": stream_id})
    assert answer.status_code == 404  # EnsureHttpStatusCodeIs404


def test_openid_ssf_stream_control_error_update_stream_with_invalid_token(suite: SsfSuite) -> None:
    stream_id = suite.stream()["stream_id"]
    body = {**suite.config(PUSH), "stream_id": stream_id}
    assert (
        suite.call("PATCH", "configuration_endpoint", token=INVALID_TOKEN, json=body).status_code
        == 401
    )


def test_openid_ssf_stream_control_error_update_stream_with_invalid_body(suite: SsfSuite) -> None:
    suite.stream()
    answer = suite.call(
        "PATCH", "configuration_endpoint", data=";{ broken", content_type="application/json"
    )
    assert answer.status_code == 400


def test_openid_ssf_stream_control_error_update_unknown_stream(suite: SsfSuite) -> None:
    stream_id = suite.create_and_delete()
    body = {**suite.config(PUSH), "stream_id": stream_id}
    assert suite.call("PATCH", "configuration_endpoint", json=body).status_code == 404


def test_openid_ssf_stream_control_error_replace_stream_with_invalid_body(suite: SsfSuite) -> None:
    suite.stream()
    answer = suite.call(
        "PUT", "configuration_endpoint", data=";{ broken", content_type="application/json"
    )
    assert answer.status_code == 400


def test_openid_ssf_stream_control_error_replace_stream_with_invalid_token(suite: SsfSuite) -> None:
    stream_id = suite.stream()["stream_id"]
    body = {**suite.config(PUSH), "stream_id": stream_id}
    assert (
        suite.call("PUT", "configuration_endpoint", token=INVALID_TOKEN, json=body).status_code
        == 401
    )


def test_openid_ssf_stream_control_error_replace_unknown_stream(suite: SsfSuite) -> None:
    stream_id = suite.create_and_delete()
    body = {**suite.config(PUSH), "stream_id": stream_id}
    assert suite.call("PUT", "configuration_endpoint", json=body).status_code == 404


def test_openid_ssf_stream_control_error_delete_stream_with_invalid_token(suite: SsfSuite) -> None:
    stream_id = suite.stream()["stream_id"]
    query = {"stream_id": stream_id}
    answer = suite.call("DELETE", "configuration_endpoint", token=INVALID_TOKEN, query_string=query)
    assert answer.status_code == 401
    assert suite.call("GET", "configuration_endpoint", query_string=query).status_code == 200


def test_openid_ssf_stream_control_error_delete_unknown_stream(suite: SsfSuite) -> None:
    stream_id = suite.create_and_delete()
    query = {"stream_id": stream_id}
    assert suite.call("DELETE", "configuration_endpoint", query_string=query).status_code == 404


def test_openid_ssf_stream_subject_control(suite: SsfSuite) -> None:
    stream_id = suite.stream()["stream_id"]
    # OIDSSFAddSubjectToStreamConfigCall: the configured subject, 200
    subject = {"format": "email", "email": "user@example.com"}
    added = suite.call(
        "POST", "add_subject_endpoint", json={"stream_id": stream_id, "subject": subject}
    )
    assert added.status_code == 200
    # OIDSSFRemoveSubjectToStreamConfigCall: 204
    removed = suite.call(
        "POST", "remove_subject_endpoint", json={"stream_id": stream_id, "subject": subject}
    )
    assert removed.status_code == 204
    assert (
        suite.call(
            "DELETE", "configuration_endpoint", query_string={"stream_id": stream_id}
        ).status_code
        == 204
    )


def pushed_verification(
    suite: SsfSuite, stream: dict[str, Any], state: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """lookupNextPushRequest until the solicited event (with ``state``)."""
    for headers, body in PushEndpoint.received:
        claims = suite.verified_event(body, stream)
        event = claims["events"][VERIFICATION]
        if event.get("state") == state:  # OIDSSFCheckVerificationEventState
            return headers, claims
    raise AssertionError("Did not receive a solicited verification event via PUSH delivery")


def test_openid_ssf_transmitter_stream_verification_push(suite: SsfSuite) -> None:
    stream = suite.stream(PUSH)
    state = suite.trigger_verification(stream["stream_id"])
    headers, _ = pushed_verification(suite, stream, state)
    # OIDSSFCheckVerificationAuthorizationHeader
    assert headers["authorization"] == AUTHORIZATION
    assert headers["content-type"] == "application/secevent+jwt"


def verification_in(
    suite: SsfSuite, stream: dict[str, Any], polled: dict[str, Any], state: str
) -> str:
    """iterateAndValidateVerificationEventsInPollResponse: the jti of the solicited event."""
    for jti, token in polled["sets"].items():
        claims = suite.verified_event(token, stream)
        assert claims["jti"] == jti
        if claims["events"][VERIFICATION].get("state") == state:
            return str(jti)
    raise AssertionError("Poll response did not contain a solicited verification event")


POLL_ONLY = {"returnImmediately": True}  # OIDSSFCallPollEndpoint.PollMode.POLL_ONLY


def test_openid_ssf_transmitter_stream_verification_poll_only(suite: SsfSuite) -> None:
    stream = suite.stream(POLL)
    state = suite.trigger_verification(stream["stream_id"])
    verification_in(suite, stream, suite.poll(stream, **POLL_ONLY), state)
    assert PushEndpoint.received == []


def test_openid_ssf_transmitter_stream_verification_poll_and_ack(suite: SsfSuite) -> None:
    stream = suite.stream(POLL)
    first = suite.trigger_verification(stream["stream_id"])
    first_jti = verification_in(suite, stream, suite.poll(stream, **POLL_ONLY), first)
    second = suite.trigger_verification(stream["stream_id"])
    # POLL_AND_ACKNOWLEDGE: the first acknowledged, the second answered
    polled = suite.poll(stream, ack=[first_jti], returnImmediately=True)
    assert first_jti not in polled["sets"]
    verification_in(suite, stream, polled, second)


def test_openid_ssf_transmitter_stream_verification_ack_only(suite: SsfSuite) -> None:
    stream = suite.stream(POLL)
    state = suite.trigger_verification(stream["stream_id"])
    jti = verification_in(suite, stream, suite.poll(stream, **POLL_ONLY), state)
    # ACKNOWLEDGE_ONLY: ack, maxEvents 0
    acked = suite.poll(stream, ack=[jti], maxEvents=0, returnImmediately=True)
    assert acked == {"sets": {}, "moreAvailable": False}
    assert suite.poll(stream, **POLL_ONLY)["sets"] == {}


def test_openid_ssf_transmitter_stream_verification_error_push_no_auth(suite: SsfSuite) -> None:
    stream = suite.stream(PUSH, authorization=None)
    state = suite.trigger_verification(stream["stream_id"])
    headers, _ = pushed_verification(suite, stream, state)
    # the push carries no Authorization header when the stream names none
    assert "authorization" not in headers
