"""The SSF receiver on the fakes (docs/reference/ssf-receiver.md): an org's OpenID connection
names its IdP's transmitter, the sweep registers firegate's stream there with the
connection's client, and the SETs pushed to ``/ssf/receive/{connection}`` end a member's
sessions or disable an account the org manages; every refusal is a 400 in RFC 8935's words
and leaves the person signed in."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.ports import Audit
from application.shared_signals.receiver.registration import REGISTER, StreamRegistration
from application.sso.services import SsoServices
from application.sso.setup import SetupRequest
from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from tests.fakes.events import FakeScheduler
from tests.fakes.orgs import FakeOrgRepository
from tests.support.oidc_idp import CLIENT_ID, CLIENT_SECRET
from tests.support.ssf_transmitter import (
    ACCOUNT_DISABLED,
    AUDIENCE,
    CREDENTIAL_CHANGE,
    EC_KEY,
    OTHER_KEY,
    SESSION_REVOKED,
    SSF_CONFIGURATION,
    documents,
    public_keys,
    set_claims,
    signed_set,
)
from tests.support.sso_world import CORP, OidcSso, oidc_sso, signed_in
from tests.unit.shared_signals.fakes import (
    FakeReceiverStreams,
    FakeTransmitterCalls,
    joined,
)

pytestmark = pytest.mark.unit

BASE = "https://ssf.corp.example"
ADA = f"ada@{CORP}"
SET_TYPE = "application/secevent+jwt"


@dataclass
class Corp:
    sso: OidcSso
    calls: FakeTransmitterCalls
    streams: FakeReceiverStreams
    browser: FlaskClient  # Ada's, signed in through the connection

    @property
    def authorization(self) -> str:
        posted = [p for p in self.calls.posted if p.url == BASE + "/streams"]
        delivery: Any = posted[-1].json()["delivery"]
        return str(delivery["authorization_header"])

    def push(self, token: str, **headers: str) -> TestResponse:
        sent = {"Authorization": self.authorization, **headers}
        return self.sso.world.client.post(
            f"/ssf/receive/{self.sso.cid}", data=token, content_type=SET_TYPE, headers=sent
        )

    def user(self) -> Any:
        return self.sso.world.adapters.of(AccountsAdapters).users.find_by_login(ADA)


def _transmitter(calls: FakeTransmitterCalls, idp_issuer: str) -> None:
    calls.documents.update(documents(BASE))
    calls.documents[idp_issuer + "/.well-known/openid-configuration"] = {
        "token_endpoint": BASE + "/token"
    }
    calls.answers[BASE + "/token"] = lambda _: (200, {"access_token": "at-1"})
    calls.answers[BASE + "/streams"] = lambda _: (201, {"stream_id": "s-1", "aud": AUDIENCE})


@pytest.fixture
def corp() -> Iterator[Corp]:
    with oidc_sso() as sso:
        world = sso.world
        own = joined(world.adapters, world.store)
        assert isinstance(own.calls, FakeTransmitterCalls)
        assert isinstance(own.streams, FakeReceiverStreams)
        _transmitter(own.calls, sso.idp.issuer)
        browser = world.app.test_client()
        assert sso.sign_in(browser, ADA).status_code == 303
        changed = world.client.patch(
            f"/orgs/corp/connections/{sso.cid}",
            json={"oidc": {"ssf_configuration_url": BASE + SSF_CONFIGURATION}},
            headers=sso.owner,
        )
        assert changed.status_code == 200, changed.get_json()
        assert changed.get_json()["oidc"]["ssf_configuration_url"] == BASE + SSF_CONFIGURATION
        assert world.services.of(StreamRegistration).sweep() == 1
        yield Corp(sso, own.calls, own.streams, browser)


def _about_ada(event: str = SESSION_REVOKED, **more: Any) -> dict[str, Any]:
    return set_claims(BASE, event, {"format": "email", "email": ADA}, **more)


def _refused(answer: TestResponse, err: str) -> None:
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["err"] == err


# -- the stream


def test_the_sweep_registers_a_push_stream_with_the_connections_client(corp: Corp) -> None:
    token, created = [p for p in corp.calls.posted if p.url in {BASE + "/token", BASE + "/streams"}]
    pair = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token.headers["Authorization"] == f"Basic {pair}"
    assert token.body == b"grant_type=client_credentials"
    assert created.headers["Authorization"] == "Bearer at-1"
    body: Any = created.json()
    assert body["delivery"]["method"] == "urn:ietf:rfc:8935"
    assert body["delivery"]["endpoint_url"].endswith(f"/ssf/receive/{corp.sso.cid}")
    assert body["events_requested"] == [SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_DISABLED]
    stream = corp.streams.get(corp.sso.cid)
    assert stream is not None and stream.stream_id == "s-1" and stream.audience == (AUDIENCE,)
    assert corp.authorization.removeprefix("Bearer ") not in stream.sealed_authorization
    # registered: the next sweep leaves it be
    assert corp.sso.world.services.of(StreamRegistration).sweep() == 0


def test_a_setup_links_draft_names_another_transmitter_registered_once_applied(
    corp: Corp,
) -> None:
    world, sso = corp.sso.world, corp.sso
    made = world.client.post(
        "/orgs/corp/sso/setup-links", json={"connection": sso.cid}, headers=sso.owner
    )
    assert made.status_code == 201, made.get_json()
    token = parse_qs(urlsplit(made.get_json()["url"]).query)["token"][0]
    setup = world.services.of(SsoServices).setup
    moved = "https://ssf2.corp.example/.well-known/ssf-configuration"
    saved = setup.set_up(SetupRequest(token, {"oidc": {"ssf_configuration_url": moved}}))
    assert saved.connection.draft is not None
    assert saved.connection.draft.oidc.ssf_configuration_url == moved
    sweep = world.services.of(StreamRegistration).sweep
    assert sweep() == 0  # the live connection still names the first
    setup.apply(SetupRequest(token))
    assert sweep() == 0  # the new one is not reachable: a failure, tried again later
    stream = corp.streams.get(sso.cid)
    assert stream is not None and stream.configuration_url == moved and not stream.registered
    _refused(corp.push(signed_set(_about_ada())), "access_denied")  # the old stream is done


def test_each_server_registers_the_streams_on_its_timer() -> None:
    with oidc_sso(ssf_receiver_sweep_interval=60.0) as sso:
        own = joined(sso.world.adapters, sso.world.store)
        assert isinstance(own.calls, FakeTransmitterCalls)
        assert isinstance(own.scheduler, FakeScheduler)
        _transmitter(own.calls, sso.idp.issuer)
        changed = sso.world.client.patch(
            f"/orgs/corp/connections/{sso.cid}",
            json={"oidc": {"ssf_configuration_url": BASE + SSF_CONFIGURATION}},
            headers=sso.owner,
        )
        assert changed.status_code == 200, changed.get_json()
        assert [seconds for seconds, _ in own.scheduler.tasks] == [60.0]
        own.scheduler.run_all()
        stream = own.streams.get(sso.cid)
        assert stream is not None and stream.registered


def test_a_connection_given_a_transmitter_is_registered_by_the_job_its_change_queued() -> None:
    """No sweep: the change's commit queued the job that registers the stream; a change that
    leaves the transmitter as it was registers nothing again."""
    with oidc_sso() as sso:
        world = sso.world
        own = joined(world.adapters, world.store)
        assert isinstance(own.calls, FakeTransmitterCalls)
        _transmitter(own.calls, sso.idp.issuer)
        world.deliver()
        changed = world.client.patch(
            f"/orgs/corp/connections/{sso.cid}",
            json={"oidc": {"ssf_configuration_url": BASE + SSF_CONFIGURATION}},
            headers=sso.owner,
        )
        assert changed.status_code == 200
        assert [job.subject for job in world.queue.jobs if job.kind == REGISTER] == [sso.cid]
        assert world.store.event_outbox  # the change's entry, in its commit
        world.deliver()
        stream = own.streams.get(sso.cid)
        assert stream is not None and stream.stream_id == "s-1"
        assert not world.store.event_outbox  # taken by its job
        renamed = world.client.patch(
            f"/orgs/corp/connections/{sso.cid}", json={"name": "Corp IdP"}, headers=sso.owner
        )
        assert renamed.status_code == 200
        world.deliver()
        assert [p.url for p in own.calls.posted].count(BASE + "/streams") == 1


def test_two_servers_sweeping_at_once_register_one_stream() -> None:
    """Two sweeps find the connection due; the second runs while the first waits for the
    transmitter's answer: the transmitter is asked for one stream."""
    with oidc_sso() as sso:
        world = sso.world
        own = joined(world.adapters, world.store)
        assert isinstance(own.calls, FakeTransmitterCalls)
        _transmitter(own.calls, sso.idp.issuer)
        created = own.calls.answers[BASE + "/streams"]
        asked, second_done = threading.Event(), threading.Event()

        def slow(posted: Any) -> tuple[int, Any]:
            if not asked.is_set():
                asked.set()
                second_done.wait(10)
            return created(posted)

        own.calls.answers[BASE + "/streams"] = slow
        changed = world.client.patch(
            f"/orgs/corp/connections/{sso.cid}",
            json={"oidc": {"ssf_configuration_url": BASE + SSF_CONFIGURATION}},
            headers=sso.owner,
        )
        assert changed.status_code == 200
        sweep = world.services.of(StreamRegistration).sweep
        first: list[int] = []
        server = threading.Thread(target=lambda: first.append(sweep()))
        server.start()
        assert asked.wait(10)
        second = sweep()
        second_done.set()
        server.join(10)
        assert (first, second) == ([1], 0)
        assert [p.url for p in own.calls.posted].count(BASE + "/streams") == 1
        assert sweep() == 0  # registered, and the registration free again


def test_a_deleted_orgs_streams_go_with_it(corp: Corp) -> None:
    world = corp.sso.world
    assert world.client.delete("/orgs/corp", headers=corp.sso.owner).status_code == 204
    world.deliver()
    assert corp.streams.streams == {}


def test_a_failed_registration_is_tried_again_after_its_backoff(corp: Corp) -> None:
    world, calls = corp.sso.world, corp.calls
    calls.answers[BASE + "/streams"] = lambda _: (500, {})
    corp.streams.streams.clear()
    sweep = world.services.of(StreamRegistration).sweep
    assert sweep() == 0
    failed = corp.streams.get(corp.sso.cid)
    assert failed is not None and failed.failures == 1 and failed.retry_at is not None
    posts = len(calls.posted)
    assert sweep() == 0 and len(calls.posted) == posts  # not due yet
    calls.answers[BASE + "/streams"] = lambda _: (201, {"stream_id": "s-2"})
    world.clock.advance(seconds=(failed.retry_at - world.clock.now()).total_seconds())
    assert sweep() == 1
    stream = corp.streams.get(corp.sso.cid)
    assert stream is not None and stream.stream_id == "s-2"
    assert stream.audience == (world.settings.service.public_url,)


# -- what a SET does


def test_a_session_revoked_ends_the_members_sessions(corp: Corp) -> None:
    before = corp.user().token_version
    assert corp.push(signed_set(_about_ada())).status_code == 202
    assert not signed_in(corp.browser)
    assert corp.user().token_version > before
    events = [e for e in corp.sso.world.audit.events if e.event is Audit.LOGOUT]
    assert events[-1].reason == "ssf" and events[-1].user_id == corp.user().id


def test_a_credential_change_by_iss_sub_signed_with_an_ec_key_ends_them(corp: Corp) -> None:
    subject = {"format": "iss_sub", "iss": corp.sso.idp.issuer, "sub": f"sub-{ADA}"}
    claims = set_claims(BASE, CREDENTIAL_CHANGE, subject)
    assert corp.push(signed_set(claims, key=EC_KEY, kid="e1")).status_code == 202
    assert not signed_in(corp.browser)


def test_account_disabled_disables_an_account_the_org_manages(corp: Corp) -> None:
    assert corp.push(signed_set(_about_ada(ACCOUNT_DISABLED))).status_code == 202
    assert corp.user().disabled
    assert not signed_in(corp.browser)


def test_account_disabled_only_signs_out_an_account_the_org_does_not_manage(
    corp: Corp,
) -> None:
    orgs = corp.sso.world.adapters.of(OrgsAdapters).orgs
    assert isinstance(orgs, FakeOrgRepository)
    members = orgs.members[corp.sso.org_id]
    user_id = corp.user().id
    assert members[user_id].managed
    members[user_id] = replace(members[user_id], managed=False)
    assert corp.push(signed_set(_about_ada(ACCOUNT_DISABLED))).status_code == 202
    assert not corp.user().disabled
    assert not signed_in(corp.browser)


def test_a_key_the_transmitter_rotated_in_is_fetched_once(corp: Corp) -> None:
    jwks = BASE + "/jwks"
    corp.calls.documents[jwks] = public_keys(rotated=True)
    fetched = corp.calls.fetched.get(jwks, 0)
    assert corp.push(signed_set(_about_ada(), key=OTHER_KEY, kid="r2")).status_code == 202
    assert corp.calls.fetched[jwks] == fetched + 1


# -- every refusal: 400, nothing done


@pytest.mark.parametrize(
    ("token_of", "err"),
    [
        (signed_set, None),  # the control: taken
        (lambda c: signed_set({**c, "iss": "https://other.example"}), "invalid_issuer"),
        (lambda c: signed_set({**c, "aud": "https://other.example"}), "invalid_audience"),
        (lambda c: signed_set(c, key=OTHER_KEY, kid="r1"), "invalid_key"),
        (lambda c: signed_set(c, key=OTHER_KEY, kid="nope"), "invalid_key"),
        (
            lambda c: signed_set(
                {
                    **c,
                    "events": {
                        SESSION_REVOKED: {"subject": {"format": "email", "email": "x@corp.example"}}
                    },
                }
            ),
            "invalid_request",
        ),
        (
            lambda c: signed_set({**c, "events": {"https://example.com/other": {}}}),
            "invalid_request",
        ),
        (lambda c: "not-a-jwt", "invalid_request"),
    ],
)
def test_a_set_refused_leaves_the_member_signed_in(
    corp: Corp, token_of: Any, err: str | None
) -> None:
    answer = corp.push(token_of(_about_ada()))
    if err is None:
        assert answer.status_code == 202
        return
    _refused(answer, err)
    assert signed_in(corp.browser)


def test_a_replayed_jti_is_refused(corp: Corp) -> None:
    token = signed_set(_about_ada())
    assert corp.push(token).status_code == 202
    signed_in_again = corp.sso.world.app.test_client()
    assert corp.sso.sign_in(signed_in_again, ADA).status_code == 303
    _refused(corp.push(token), "invalid_request")
    assert signed_in(signed_in_again)


def test_a_push_without_the_streams_authorization_is_refused(corp: Corp) -> None:
    token = signed_set(_about_ada())
    _refused(corp.push(token, Authorization="Bearer nope"), "authentication_failed")
    assert signed_in(corp.browser)
    answer = corp.sso.world.client.post(
        f"/ssf/receive/{corp.sso.cid}", data=token, content_type=SET_TYPE
    )
    _refused(answer, "authentication_failed")
    assert corp.push(token).status_code == 202  # its jti was not spent by the refusals


def test_a_push_of_another_type_or_to_no_stream_is_refused(corp: Corp) -> None:
    token = signed_set(_about_ada())
    answer = corp.sso.world.client.post(
        f"/ssf/receive/{corp.sso.cid}",
        data=token,
        content_type="application/json",
        headers={"Authorization": corp.authorization},
    )
    _refused(answer, "invalid_request")
    for where in ("a" * 20, "nope"):
        answer = corp.sso.world.client.post(
            f"/ssf/receive/{where}",
            data=token,
            content_type=SET_TYPE,
            headers={"Authorization": corp.authorization},
        )
        _refused(answer, "access_denied")
    assert signed_in(corp.browser)


def test_a_connection_switched_off_takes_no_set(corp: Corp) -> None:
    world = corp.sso.world
    off = world.client.patch(
        f"/orgs/corp/connections/{corp.sso.cid}",
        json={"status": "inactive"},
        headers=corp.sso.owner,
    )
    assert off.status_code == 200, off.get_json()
    _refused(corp.push(signed_set(_about_ada())), "access_denied")


def test_the_setting_is_an_address(corp: Corp) -> None:
    answer = corp.sso.world.client.patch(
        f"/orgs/corp/connections/{corp.sso.cid}",
        json={"oidc": {"ssf_configuration_url": "ftp://x"}},
        headers=corp.sso.owner,
    )
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["errors"][0]["field"] == "oidc.ssf_configuration_url"
