"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): every way a session ends is
an audit event, and the audit log hands each to ``BackchannelLogout``, whose deliveries (one
per client and session to tell) go into the webhook outbox in the event's own commit;
``LogoutChannel`` signs each attempt's logout token and posts it to the client's
``backchannel_logout_uri`` (docs/reference/oauth.md, "Back-channel logout";
docs/decisions/0416-back-channel-logout-through-the-outbox.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from application.accounts.admin import require_admin
from application.clients.ports import OAuthClients
from application.events.webhooks.admin import delivery_page
from application.events.webhooks.ports import Target, WebhookDeliveries
from application.pagination import Page
from application.ports import Audit, AuditEvent, Clock
from application.provider.ports import OAuthGrants, OAuthPolicy, ProviderTokens
from application.signin.authentication import Actor
from domain.clients.oauth import OAuthClient
from domain.errors import NotFound
from domain.events.webhooks import Delivery
from domain.provider.grants import session_sid
from domain.provider.logout import BACKCHANNEL_LOGOUT, LogoutNotice, SessionEnd, logout_claims
from domain.standard_webhooks import new_message_id

MAX_GRANTS_READ = 200  # of one account, newest first: the clients of an end

# How an audit event ends sessions: only the one it came from, every one but it, or all.
ONLY, KEPT, ALL = "only", "kept", "all"
_ENDS = {
    Audit.PASSWORD_RESET: ALL,
    Audit.ACCOUNT_DELETION: ALL,
    Audit.ACCOUNT_CLAIMED: ALL,
    Audit.PASSWORD_CHANGE: KEPT,
    Audit.MFA_ENABLED: KEPT,
    Audit.MFA_DISABLED: KEPT,
}
CLAIMED_BY_A_RESET = "password_reset"  # recorded with the reset's own event, which tells
DISABLED = ("disabled", "False", "True")  # a ROLE_CHANGE's change that disables


def _how(event: AuditEvent) -> str | None:
    if event.event is Audit.LOGOUT:  # this_session, one_session, other_sessions; the others all
        ended = {"this_session": ONLY, "one_session": ONLY, "other_sessions": KEPT}
        return ended.get(event.reason or "", ALL)
    if event.event is Audit.ROLE_CHANGE:
        return ALL if DISABLED in event.changes else None
    if event.event is Audit.ACCOUNT_CLAIMED and event.reason == CLAIMED_BY_A_RESET:
        return None
    return _ENDS.get(event.event)


def session_end(event: AuditEvent) -> SessionEnd | None:
    """The sessions ``event`` ended, if it ended any: a sign-out (this session; RP-initiated
    logout is one), one session ended from the list of them, sign-out everywhere and "this
    wasn't me" (all), ending the other sessions, a password reset, disabling (by an admin or
    the org's directory), deletion, an account claimed; a new password or second factor (all
    but the session it came from)."""
    how = _how(event) if event.outcome == "success" else None
    sid = session_sid(event.session_id) if event.session_id else None
    if event.user_id is None or how is None or (how == ONLY and sid is None):
        return None
    return SessionEnd(
        event.user_id,
        only_sid=sid if how == ONLY else None,
        kept_sid=sid if how == KEPT else None,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class BackchannelLogout:
    """The audit log's ``SessionEnds``: for an event that ends sessions, a delivery per
    logout token to send, reserved for the job queued once it is stored (as a webhook's)."""

    grants: OAuthGrants
    clients: OAuthClients
    clock: Clock
    lease: timedelta
    window: timedelta

    def deliveries(self, event: AuditEvent) -> list[Delivery]:
        end = session_end(event)
        if end is None:
            return []
        now = self.clock.now()
        notices = end.notices(
            self.grants.list_for_user(end.user_id, MAX_GRANTS_READ),
            self.clients.get,
            now=now,
            window=self.window,
        )
        return [
            Delivery(
                id=new_message_id(),
                endpoint_id=notice.client_id,
                event_type=BACKCHANNEL_LOGOUT,
                event_id=event.event.value,
                payload=notice.payload(),
                created_at=now,
                next_attempt_at=now + self.lease,
                retry_since=now,
            )
            for notice in notices
        ]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True, kw_only=True, slots=True)
class LogoutChannel:
    """The outbox's ``DeliveryChannel`` of logout tokens: each attempt's token is signed then
    (``iat`` now, a short ``exp``), its ``jti`` the delivery's id, so a retry is the same
    token to the client (§2.6)."""

    clients: OAuthClients
    keys: ProviderTokens
    clock: Clock
    policy: OAuthPolicy

    def target(self, delivery: Delivery) -> Target | str:
        client = self.clients.get(delivery.endpoint_id)
        if client is None:
            return "client_deleted"
        if client.backchannel_logout_uri is None:
            return "no_backchannel_logout_uri"
        notice = LogoutNotice.of_payload(client.client_id, delivery.payload)
        claims = logout_claims(
            notice, issuer=self.policy.issuer, jti=delivery.id, now=self.clock.now()
        )
        token = self.keys.sign_logout_token(claims)
        return Target(client.backchannel_logout_uri, urlencode({"logout_token": token}), FORM)


@dataclass(frozen=True)
class ClientLogouts:
    """An admin's look at the logout tokens sent to one client (/admin)."""

    actor: Actor
    client_id: str
    limit: int
    cursor: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ClientLogoutLog:
    """An admin's look at the logout tokens sent to a client: the webhook outbox
    (``deliveries``) holds them."""

    clients: OAuthClients
    deliveries: WebhookDeliveries

    def admin_client_logouts(self, cmd: ClientLogouts) -> tuple[OAuthClient, Page[Delivery]]:
        """The client and a page of its logout tokens' deliveries, newest first: the delivery
        log the webhooks have, per client."""
        require_admin(cmd.actor)
        client = self.clients.get(cmd.client_id)
        if client is None:
            raise NotFound("No such client.", code="client_not_found")
        page = delivery_page(client.client_id, cmd.limit, cmd.cursor, deliveries=self.deliveries)
        return client, page
