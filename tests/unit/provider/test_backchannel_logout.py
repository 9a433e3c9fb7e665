"""Back-channel logout on the fakes (docs/reference/oauth.md, "Back-channel logout"): each
way a session ends queues a logout token, through the webhook outbox, to each client holding
a grant of it; the token is signed as ID tokens are and carries Back-Channel Logout 1.0's
claims."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from application.clients.services import ClientServices
from application.events.security_events import StoringAuditLog
from application.events.webhooks.cache import EndpointCache
from application.events.webhooks.jobs import DeliverySweeper
from application.events.webhooks.outbox import FIRST, WebhookOutbox
from application.ports import Audit, AuditEvent
from application.provider.logout import BackchannelLogout, LogoutChannel, session_end
from application.provider.ports import OAuthPolicy
from bootstrap.accounts import AccountsAdapters
from bootstrap.events import EventsAdapters
from bootstrap.orgs import OrgsAdapters
from bootstrap.provider_keys import provider_tokens
from domain.clients.oauth import OAuthClient
from domain.errors import InvalidInput
from domain.events.webhooks import Delivery, DeliveryStatus
from domain.mail.action_tokens import ActionToken, Purpose
from domain.orgs.domains import OrgDomain
from domain.provider.grants import Grant, session_sid
from domain.provider.logout import (
    BACKCHANNEL_LOGOUT,
    LOGOUT_EVENT,
    LogoutNotice,
    SessionEnd,
    logout_claims,
)
from infrastructure.audit_log import LoggingAuditLog
from tests.fakes.clients import FakeOAuthClients
from tests.fakes.events import (
    FakeSecurityEvents,
    FakeWebhookDeliveries,
    FakeWebhookEndpoints,
    FakeWebhookSender,
)
from tests.fakes.kernel import FakeClock, FakeJobQueue
from tests.fakes.provider import FakeOAuthGrants
from tests.support.api import login, register
from tests.support.app import NEW
from tests.support.mail_flows import press
from tests.support.oauth import REDIRECT, OAuthWorld, claims
from tests.support.pages import PASSWORD, csrf
from tests.support.scim import USERS, active, directory, signed_in_by_reset, user_body
from tests.support.settings import make_settings
from tests.support.webhooks import Hooks

pytestmark = pytest.mark.unit

HOOK = "http://127.0.0.1:9/logout"  # the local profile allows loopback receivers
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def rp(world: OAuthWorld, *extra: str, name: str = "RP") -> dict[str, Any]:
    return world.relying_party("--backchannel-logout-uri", HOOK + "/" + name, *extra)


def sender(world: OAuthWorld) -> FakeWebhookSender:
    found = world.adapters.of(EventsAdapters).webhook_sender
    assert isinstance(found, FakeWebhookSender)
    return found


def deliveries(world: OAuthWorld) -> FakeWebhookDeliveries:
    found = world.adapters.of(EventsAdapters).webhook_deliveries
    assert isinstance(found, FakeWebhookDeliveries)
    return found


def logout_tokens(world: OAuthWorld) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Run the queued jobs; each logout token POSTed: its URL, header and verified claims."""
    world.deliver()
    keys = KeySet.import_key_set(world.client.get("/.well-known/jwks.json").get_json())
    found = []
    for url, body, headers in sender(world).sent:
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        token = parse_qs(body)["logout_token"][0]
        decoded = jwt.decode(token, keys)
        found.append((url, dict(decoded.header), dict(decoded.claims)))
    sender(world).sent.clear()
    return found


def api_login(world: OAuthWorld) -> str:
    answer = world.client.post("/login", json={"username": "alice", "password": PASSWORD})
    token: str = answer.get_json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the token


def test_rp_initiated_logout_sends_the_clients_session_a_signed_logout_token(
    world: OAuthWorld,
) -> None:
    client = rp(world, "--post-logout-redirect-uri", "https://app.example.com/bye")
    other = rp(world, name="other")  # its grant is of the same browser session
    tokens = world.rp_tokens(client)
    world.rp_tokens(other)
    id_token = claims(world, tokens["id_token"])
    query = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": "https://app.example.com/bye",
    }
    assert world.client.get("/oauth/logout?" + urlencode(query)).status_code == 302
    sent = logout_tokens(world)
    assert sorted(url for url, _, _ in sent) == [HOOK + "/RP", HOOK + "/other"]
    _, header, found = next(s for s in sent if s[0].endswith("/RP"))
    assert header["typ"] == "logout+jwt" and header["alg"] == "RS256" and header["kid"]
    assert found["iss"] == id_token["iss"] and found["aud"] == client["client_id"]
    assert found["sub"] == id_token["sub"] and found["sid"] == id_token["sid"]
    assert found["events"] == {LOGOUT_EVENT: {}}
    assert "nonce" not in found and found["jti"].startswith("msg_")
    assert 0 < found["exp"] - found["iat"] <= 120
    # one delivery each, sent, in the outbox as the webhooks' are
    stored = [
        d for d in deliveries(world).deliveries.values() if d.event_type == BACKCHANNEL_LOGOUT
    ]
    assert {d.endpoint_id for d in stored} == {client["client_id"], other["client_id"]}
    assert all(d.status is DeliveryStatus.SUCCEEDED for d in stored)


def test_a_client_without_a_logout_uri_or_a_grant_gets_nothing(world: OAuthWorld) -> None:
    plain = world.relying_party()
    rp(world, name="idle")  # registered, never signed in to
    world.rp_tokens(plain)
    assert api_logout_all(world) == 204
    assert logout_tokens(world) == []


def api_logout_all(world: OAuthWorld) -> int:
    return world.client.post("/auth/logout?all=true", headers=bearer(api_login(world))).status_code


def test_a_failed_post_is_retried_with_the_same_jti(world: OAuthWorld) -> None:
    client = rp(world)
    world.rp_tokens(client)
    sender(world).answers = [503, 200]
    assert api_logout_all(world) == 204
    world.deliver()
    (first,) = [
        d for d in deliveries(world).deliveries.values() if d.event_type == BACKCHANNEL_LOGOUT
    ]
    assert first.status is DeliveryStatus.PENDING and first.attempts[-1].status_code == 503
    world.clock.advance(seconds=10)
    DeliverySweeper(deliveries=deliveries(world), queue=world.queue, clock=world.clock).sweep()
    world.deliver()
    posted = [parse_qs(body)["logout_token"][0] for _, body, _ in sender(world).sent]
    keys = KeySet.import_key_set(world.client.get("/.well-known/jwks.json").get_json())
    jtis = {jwt.decode(token, keys).claims["jti"] for token in posted}
    assert len(posted) == 2 and jtis == {first.id}


# -- each way a session ends


def test_signing_out_one_api_session_tells_no_client_of_another_session(
    world: OAuthWorld,
) -> None:
    world.rp_tokens(rp(world))  # a grant of the browser's session
    answer = world.client.post("/auth/logout", headers=bearer(api_login(world)))
    assert answer.status_code == 204
    assert logout_tokens(world) == []


def test_sign_out_everywhere_tells_every_client_once_without_sid_unless_required(
    world: OAuthWorld,
) -> None:
    loose, strict = (
        rp(world, name="loose"),
        rp(world, "--backchannel-logout-session-required", name="strict"),
    )
    world.rp_tokens(loose)
    world.rp_tokens(loose)  # a second grant of the same client: still one token
    sid = claims(world, world.rp_tokens(strict)["id_token"])["sid"]
    assert api_logout_all(world) == 204
    sent = {url.rsplit("/", 1)[1]: found for url, _, found in logout_tokens(world)}
    assert set(sent) == {"loose", "strict"}
    assert "sid" not in sent["loose"] and sent["strict"]["sid"] == sid


def signed_in_browser(world: OAuthWorld) -> FlaskClient:
    """A second browser of alice's, signed in on the sign-in page."""
    other = world.app.test_client()
    form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(other, "/sign-in")}
    assert other.post("/sign-in", data=form).status_code == 303
    return other


def test_ending_the_other_sessions_tells_the_clients_of_those_only(world: OAuthWorld) -> None:
    client = rp(world)
    kept = world.client
    world.rp_tokens(client)  # a grant of the session kept
    world.client = signed_in_browser(world)
    other_sid = claims(world, world.rp_tokens(client)["id_token"])["sid"]
    world.client = kept
    answer = kept.post("/account/sessions/end-others", data={"csrf_token": csrf(kept, "/account")})
    assert answer.status_code == 303
    ((_, _, found),) = logout_tokens(world)
    assert found["sid"] == other_sid


def test_ending_one_session_from_the_list_tells_the_clients_of_that_one(
    world: OAuthWorld,
) -> None:
    client = rp(world)
    world.rp_tokens(client)  # a grant of the browser's session, which stays
    other = signed_in_browser(world)
    kept, world.client = world.client, other
    other_sid = claims(world, world.rp_tokens(client)["id_token"])["sid"]
    world.client = kept
    token = api_login(world)
    listed = world.client.get("/auth/sessions", headers=bearer(token)).get_json()["items"]
    ended = next(s["id"] for s in listed if session_sid(s["id"]) == other_sid)
    answer = world.client.delete(f"/auth/sessions/{ended}", headers=bearer(token))
    assert answer.status_code == 204
    ((_, _, found),) = logout_tokens(world)
    assert found["sid"] == other_sid


def test_the_sign_out_page_tells_the_clients_of_its_session(world: OAuthWorld) -> None:
    sid = claims(world, world.rp_tokens(rp(world))["id_token"])["sid"]
    answer = world.client.post("/sign-out", data={"csrf_token": csrf(world.client, "/account")})
    assert answer.status_code == 303
    ((_, _, found),) = logout_tokens(world)
    assert found["sid"] == sid


def test_a_password_reset_tells_the_clients(world: OAuthWorld) -> None:
    world.rp_tokens(rp(world))
    world.client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    world.deliver()
    sender(world).sent.clear()
    assert world.reset(world.token("alice@example.com", "/reset-password")) == 204
    assert len(logout_tokens(world)) == 1


def test_this_wasnt_me_tells_the_clients(world: OAuthWorld) -> None:
    world.rp_tokens(rp(world))
    alice = world.store.users[world.store.usernames["alice"]]
    token, record = ActionToken.issue(alice, Purpose.NOT_ME, world.clock.now())
    world.store.action_tokens[record.hash] = record  # as a notification mail carries it
    assert press(world, token)[0] == 200
    ((_, _, found),) = logout_tokens(world)
    assert found["sub"] == alice.id and "sid" not in found


def test_scim_deprovisioning_tells_the_clients(world: OAuthWorld) -> None:
    """The org's directory sets a managed account inactive: it is disabled, and the apps it
    signed in to are told."""
    acme = directory(world.client, admin="olga")
    domains: Any = world.adapters.of(OrgsAdapters).domains
    domain = OrgDomain.create(acme.org_id, "example.com", "olga", world.clock.now())
    domains.add(domain)
    domains.verify(domain.verified_now(world.clock.now()))
    made = world.client.post(USERS, json=user_body("mia@example.com"), headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    mia = world.adapters.of(AccountsAdapters).users.get(made.get_json(force=True)["id"])
    assert mia is not None
    signed_in_by_reset(world, "mia@example.com", mia.shown_name)
    browser = world.app.test_client()
    form = {"username": mia.shown_name, "password": NEW}
    form["csrf_token"] = csrf(browser, "/sign-in")
    assert browser.post("/sign-in", data=form).status_code == 303
    world.client = browser
    world.rp_tokens(rp(world))
    active(world, acme, mia.id, False)
    ((_, _, found),) = logout_tokens(world)
    assert found["sub"] == mia.id


def test_disabling_and_deleting_the_account_tell_the_clients(world: OAuthWorld) -> None:
    world.rp_tokens(rp(world))
    register(world.app.test_client(), "root")
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    admin = login(world.client, "root")
    alice = world.store.usernames["alice"]
    answer = world.client.patch(f"/users/{alice}", json={"disabled": True}, headers=bearer(admin))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert len(logout_tokens(world)) == 1
    assert world.client.delete(f"/users/{alice}", headers=bearer(admin)).status_code == 204
    assert len(logout_tokens(world)) == 1


def test_deleting_ones_own_account_tells_the_clients(world: OAuthWorld) -> None:
    world.rp_tokens(rp(world))
    answer = world.client.delete("/user", headers=bearer(api_login(world)))
    assert answer.status_code == 204
    assert len(logout_tokens(world)) == 1


# -- which audit events end which sessions


def event(kind: Audit, **fields: Any) -> AuditEvent:
    return AuditEvent(kind, user_id="u1", **fields)


@pytest.mark.parametrize(
    ("audit", "expected"),
    [
        (
            event(Audit.LOGOUT, session_id="s1", reason="this_session"),
            SessionEnd("u1", only_sid=session_sid("s1")),
        ),
        (
            event(Audit.LOGOUT, session_id="s2", reason="one_session"),
            SessionEnd("u1", only_sid=session_sid("s2")),
        ),
        (event(Audit.LOGOUT, session_id="s1", reason="all_sessions"), SessionEnd("u1")),
        (event(Audit.LOGOUT, reason="all_sessions", actor_id="admin"), SessionEnd("u1")),
        (event(Audit.LOGOUT, reason="not_me"), SessionEnd("u1")),
        (
            event(Audit.LOGOUT, session_id="s1", reason="other_sessions"),
            SessionEnd("u1", kept_sid=session_sid("s1")),
        ),
        (event(Audit.PASSWORD_RESET), SessionEnd("u1")),
        (event(Audit.ACCOUNT_CLAIMED, reason="password_reset"), None),  # the reset's tells
        (event(Audit.ACCOUNT_DELETION), SessionEnd("u1")),
        (event(Audit.ACCOUNT_CLAIMED, reason="email_verification"), SessionEnd("u1")),
        (
            event(Audit.PASSWORD_CHANGE, session_id="s1"),
            SessionEnd("u1", kept_sid=session_sid("s1")),
        ),
        (event(Audit.MFA_ENABLED, session_id="s1"), SessionEnd("u1", kept_sid=session_sid("s1"))),
        (event(Audit.MFA_DISABLED, reason="reset"), SessionEnd("u1")),
        # disabling, by an admin or an org's directory (SCIM deprovisioning)
        (
            event(Audit.ROLE_CHANGE, changes=(("disabled", "False", "True"),), via="scim"),
            SessionEnd("u1"),
        ),
        (event(Audit.ROLE_CHANGE, changes=(("disabled", "True", "False"),)), None),
        (event(Audit.ROLE_CHANGE, changes=(("role", "user", "admin"),)), None),
        (event(Audit.LOGOUT, outcome="failure", reason="invalid_not_me_token"), None),
        (event(Audit.LOGIN), None),
        (AuditEvent(Audit.LOGOUT, reason="all_sessions"), None),
    ],
)
def test_the_audit_events_that_end_sessions(audit: AuditEvent, expected: SessionEnd | None) -> None:
    assert session_end(audit) == expected


def client(client_id: str, *, required: bool = False, uri: str | None = HOOK) -> OAuthClient:
    return OAuthClient.new(
        client_id=client_id,
        name=client_id,
        redirect_uris=("https://app.example.com/cb",),
        secret="s",
        scopes=(),
        now=NOW,
        backchannel_logout_uri=uri,
        backchannel_logout_session_required=required,
    )


def grant(client_id: str, sid: str | None, **fields: Any) -> Grant:
    base = Grant(
        id=f"g-{client_id}-{sid}",
        user_id="u1",
        client_id=client_id,
        scope="openid",
        created_at=NOW - timedelta(days=1),
        token_version=0,
        issued=True,
    )
    return Grant(**{**base.__dict__, "sid": sid, **fields})


def test_the_grants_a_session_end_tells() -> None:
    clients = {"a": client("a"), "b": client("b", required=True), "c": client("c", uri=None)}
    grants = [
        grant("a", "s1"),
        grant("a", "s2"),
        grant("b", "s1"),
        grant("b", None),  # the device flow's: no session to name
        grant("c", "s1"),  # no logout URI
        grant("gone", "s1"),  # its client deleted
        grant("a", "s3", revoked=True),
        grant("a", "s4", issued=False),
        grant("a", "s5", created_at=NOW - timedelta(days=40)),  # older than the window
    ]

    def told(end: SessionEnd) -> set[tuple[str, str | None]]:
        notices = end.notices(grants, clients.get, now=NOW, window=timedelta(days=30))
        assert all(n.sub == "u1" for n in notices)
        return {(n.client_id, n.sid) for n in notices}

    assert told(SessionEnd("u1", only_sid="s1")) == {("a", "s1"), ("b", "s1")}
    assert told(SessionEnd("u1", kept_sid="s1")) == {("a", "s2")}
    assert told(SessionEnd("u1")) == {("a", None), ("b", "s1")}
    refreshed = grant(
        "a", "s5", created_at=NOW - timedelta(days=40), refresh_expires_at=NOW + timedelta(days=1)
    )
    assert SessionEnd("u1", only_sid="s5").notices(
        [refreshed], clients.get, now=NOW, window=timedelta(days=30)
    )


def test_the_logout_token_claims() -> None:
    found = logout_claims(
        LogoutNotice("c1", "u1", "s1"), issuer="https://id.example.com", jti="msg_1", now=NOW
    )
    at = int(NOW.timestamp())
    assert found == {
        "iss": "https://id.example.com",
        "aud": "c1",
        "iat": at,
        "exp": at + 120,
        "jti": "msg_1",
        "events": {LOGOUT_EVENT: {}},
        "sub": "u1",
        "sid": "s1",
    }
    assert "sid" not in logout_claims(LogoutNotice("c1", "u1"), issuer="i", jti="j", now=NOW)
    notice = LogoutNotice("c1", "u1", "s1")
    assert LogoutNotice.of_payload("c1", notice.payload()) == notice


@pytest.mark.parametrize(
    "uri",
    [
        "ftp://rp.example.com/x",
        "https://rp.example.com/x#frag",
        "https://u:p@rp.example.com/",
        "/relative",
        "https://rp.example.com/\u202e",
        "https://rp.example.com:0/",
    ],
)
def test_a_logout_uri_is_an_absolute_http_uri_without_a_fragment(uri: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        client("c", uri=uri)
    assert refused.value.code == "invalid_backchannel_logout_uri"
    assert client("c", uri="https://rp.example.com/logout?x=1").backchannel_logout_uri


def test_registration_and_discovery_name_back_channel_logout(world: OAuthWorld) -> None:
    found = rp(world, "--backchannel-logout-session-required")
    assert found["backchannel_logout_uri"] == HOOK + "/RP"
    assert found["backchannel_logout_session_required"] is True
    metadata = world.client.get("/.well-known/openid-configuration").get_json()
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True
    dynamic = OAuthWorld(oauth_dynamic_registration=True)
    body = {
        "redirect_uris": ["https://app.example.com/callback"],
        "token_endpoint_auth_method": "none",
        "backchannel_logout_uri": "https://rp.example.com/bc",
        "backchannel_logout_session_required": True,
    }
    answer = dynamic.client.post("/oauth/register", json=body)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.get_json()["backchannel_logout_uri"] == "https://rp.example.com/bc"
    assert answer.get_json()["backchannel_logout_session_required"] is True
    for bad in (
        {"backchannel_logout_uri": "https://x.example/#f"},
        {"backchannel_logout_session_required": "yes"},
    ):
        refused = dynamic.client.post("/oauth/register", json={**body, **bad})
        assert (
            refused.status_code == 400 and refused.get_json()["error"] == "invalid_client_metadata"
        )


# -- the audit log's commit


def test_an_end_is_written_with_its_event_and_a_claim_by_itself() -> None:
    """A session's end is stored with its security event, one commit; an account claimed is
    stored as no security event, so its logout tokens' deliveries are written alone."""
    deliveries = FakeWebhookDeliveries()
    events = FakeSecurityEvents(deliveries.store, deliveries)
    clients, grants = FakeOAuthClients(), FakeOAuthGrants(deliveries.store)
    clients.add(client("c1"))
    grants.grants["g1"] = grant("c1", "s1", created_at=NOW)
    queue = FakeJobQueue()
    clock = FakeClock(NOW)
    ends = BackchannelLogout(
        grants=grants,
        clients=clients,
        clock=clock,
        lease=timedelta(seconds=30),
        window=timedelta(days=30),
    )
    cache = EndpointCache(FakeWebhookEndpoints(), clock, ttl=5)
    outbox = WebhookOutbox(cache=cache, queue=queue, clock=clock, lease=timedelta(seconds=30))
    audit = StoringAuditLog(LoggingAuditLog(), events, clock, outbox, ends)
    audit.record(AuditEvent(Audit.LOGOUT, user_id="u1", session_id="x", reason="all_sessions"))
    (ended,) = deliveries.deliveries.values()
    assert [e.type for e in events.events.values()] == ["session.ended"]
    assert ended.endpoint_id == "c1" and ended.payload == '{"sub":"u1"}'
    audit.record(AuditEvent(Audit.ACCOUNT_CLAIMED, user_id="u1", reason="email_verification"))
    assert len(deliveries.deliveries) == 2 and len(events.events) == 1
    assert [job.subject.removeprefix(FIRST) for job in queue.jobs] == list(deliveries.deliveries)
    staged = audit.stage([AuditEvent(Audit.PASSWORD_RESET, user_id="u1")])
    assert [d.endpoint_id for d in staged.deliveries] == ["c1"]


# -- sending: the webhooks' rules


@pytest.mark.parametrize(
    ("uri", "error", "address"),
    [
        ("http://rp.example.com/bc", "not_https", None),
        ("https://inside.example.com/bc", "not_public_address", None),
        ("https://rp.example.com/bc", None, "93.184.215.14"),
    ],
)
def test_outside_the_local_profile_a_token_goes_by_https_to_a_public_address(
    uri: str, error: str | None, address: str | None
) -> None:
    hooks = Hooks(local=False)
    hooks.resolver.names.update(
        {"rp.example.com": ["93.184.215.14"], "inside.example.com": ["10.0.0.7"]}
    )
    clients = FakeOAuthClients()
    clients.add(client("c1", uri=uri))
    keys = provider_tokens(make_settings())
    assert keys is not None
    channel = LogoutChannel(
        clients=clients,
        keys=keys,
        clock=hooks.clock,
        policy=OAuthPolicy(issuer="https://id.example.com"),
    )
    hooks.channels = {BACKCHANNEL_LOGOUT: channel}
    notice = LogoutNotice("c1", "u1", "s1")
    queued = hooks.deliveries.deliveries
    now = hooks.clock.now()
    pending = Delivery(
        id="msg_" + "a" * 26,
        endpoint_id="c1",
        event_type=BACKCHANNEL_LOGOUT,
        event_id="logout",
        payload=notice.payload(),
        created_at=now,
        next_attempt_at=now,
        retry_since=now,
    )
    queued[pending.id] = pending
    done = hooks.delivery.deliver(pending.id)
    assert done is not None and done.attempts[-1].error == error
    assert hooks.sender.addresses == ([address] if address else [])
    clients.delete("c1")
    hooks.clock.advance(hours=1)
    stopped = hooks.delivery.deliver(pending.id)
    if error is None:
        assert stopped is None  # sent already
    else:
        assert stopped is not None and stopped.status is DeliveryStatus.FAILED
        assert stopped.attempts[-1].error == "client_deleted"


# -- /admin: the form, and each app's logout notices


def admin_form(world: OAuthWorld) -> str:
    world.app.test_cli_runner().invoke(args=["users", "set-role", "alice", "admin"])
    return csrf(world.client, "/admin")


def test_an_admin_registers_an_app_told_by_back_channel_logout_and_sees_its_notices(
    world: OAuthWorld,
) -> None:
    form = {"csrf_token": admin_form(world), "name": "Told", "redirect_uris": REDIRECT}
    form |= {"backchannel_logout_uri": HOOK, "backchannel_logout_session_required": "true"}
    answer = world.client.post("/admin/clients", data={**form, "confidential": "true"})
    assert answer.status_code == 201
    assert HOOK in answer.get_data(as_text=True)
    (made,) = world.services.of(ClientServices).clients.list_clients()
    assert made.backchannel_logout_uri == HOOK and made.backchannel_logout_session_required
    path = f"/admin/clients/{made.client_id}/logouts"
    assert f'href="{path}"' in world.client.get("/admin").get_data(as_text=True)
    empty = world.client.get(path).get_data(as_text=True)
    assert "No session of this app's users has ended yet." in empty
    # a token sent, then one refused: both listed with their attempts
    secret = re.search(
        r'id="client_secret" type="text" readonly value="([^"]+)"', answer.get_data(as_text=True)
    )
    assert secret is not None
    app = {"client_id": made.client_id, "client_secret": secret.group(1)}
    world.tokens(app)
    sender(world).answers = [200, 503]
    assert api_logout_all(world) == 204
    world.deliver()
    world.client = signed_in_browser(world)  # signed out everywhere: in again
    world.tokens(app)
    assert api_logout_all(world) == 204
    world.deliver()
    world.client = signed_in_browser(world)
    listed = world.client.get(path).get_data(as_text=True)
    # the second end tells both sessions' grants (the app requires sid): three in all
    assert listed.count("<code>msg_") == 3
    assert "Delivered" in listed and "Waiting to be sent" in listed and ": 503" in listed
    spanish = world.client.get(path, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Avisos de cierre de sesión a Told" in spanish and "Entregado" in spanish


def test_a_bad_logout_uri_is_shown_beside_its_field(world: OAuthWorld) -> None:
    form = {"csrf_token": admin_form(world), "name": "Told", "redirect_uris": REDIRECT}
    answer = world.client.post(
        "/admin/clients", data={**form, "backchannel_logout_uri": "ftp://x.example/"}
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="client-backchannel_logout_uri-error" role="alert"' in html
    assert 'value="ftp://x.example/"' in html
    assert not world.services.of(ClientServices).clients.list_clients()


def test_the_logout_notices_page_is_for_admins_of_a_client_that_exists(world: OAuthWorld) -> None:
    made = rp(world)
    path = f"/admin/clients/{made['client_id']}/logouts"
    assert world.client.get(path).status_code == 403  # alice is no admin yet
    admin_form(world)
    assert world.client.get(path).status_code == 200
    assert world.client.get("/admin/clients/nope/logouts").status_code == 404
