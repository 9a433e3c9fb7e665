"""An org's log streams as its owners manage them (``/orgs/{org}/log-streams``), and as
the holder of a setup link adds one without an account (docs/reference/log-streams.md).

Only the org's owners (404 ``org_not_found`` for a non-member, 403 ``org_permission_denied``
for a member who is no owner). An https stream's signing secret is shown once, when it is
made; a Splunk HEC token is never shown back. A setup link is single-use, for 7 days, and
holds only while its maker is an owner of the org."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.events.outbox import OutboxEntries
from application.log_streams.delivery import StreamDeliveries
from application.log_streams.formats import Product, timestamp
from application.log_streams.outbox import DELIVER, StreamCache
from application.log_streams.ports import StreamRecord
from application.log_streams.store import StreamLink, StreamLinks, StreamStore
from application.orgs.orgs import member_view
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, Job, JobQueue, SecretBox
from application.signin.authentication import Actor
from domain.ids import is_id, new_id
from domain.link_tokens import InvalidToken, new_token, token_hash
from domain.log_streams.streams import (
    DELIVERIES_SHOWN,
    MAX_STREAMS,
    LogStream,
    StreamDelivery,
    StreamKind,
    checked_setup,
    stream_not_found,
    stream_not_paused,
)
from domain.orgs.orgs import Org
from domain.orgs.roles import OWNER, Permission
from domain.standard_webhooks import new_secret

LOG_STREAMS = "log_streams"  # the audit log's ``org.updated`` names the change by this word
LINK_LIFE = timedelta(days=7)
SETUP_PATH = "/setup/log-stream"  # the page a setup link opens: ?token= (API: /log-streams/setup)
TEST_TYPE = "log_stream.test"


@dataclass(frozen=True)
class StreamQuery:
    actor: Actor
    org: str  # an id or a slug
    stream_id: str = ""


@dataclass(frozen=True)
class StreamMade:
    stream: LogStream
    secret: str | None  # an https stream's signing secret: shown once


@dataclass(frozen=True)
class LinkMade:
    url: str  # holds the token: shown once, never stored
    expires_at: datetime


@dataclass(frozen=True)
class LinkView:
    """What a setup link is for: the org's name, until when."""

    org_name: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class LogStreams:
    orgs: OrgRepository
    store: StreamStore
    links: StreamLinks
    entries: OutboxEntries
    deliveries: StreamDeliveries
    cache: StreamCache
    box: SecretBox
    queue: JobQueue
    clock: Clock
    audit: AuditLog
    product: Product
    public_url: str
    local: bool  # the local profile: http and loopback URLs too

    # -- the owners'

    def create(self, query: StreamQuery, body: Mapping[str, object]) -> StreamMade:
        """Check every field (422 naming each bad one), then add the stream (409
        ``too_many_streams`` past ``MAX_STREAMS``)."""
        org = self._owned(query)
        return self._add(org, query.actor.user_id, body)

    def streams(self, query: StreamQuery) -> list[LogStream]:
        return self.store.of_org(self._owned(query).id)

    def get(self, query: StreamQuery) -> LogStream:
        return self._stream(self._owned(query), query.stream_id)

    def delete(self, query: StreamQuery) -> None:
        """Delete the stream and the entries waiting for it (404 if none)."""
        org = self._owned(query)
        stream = self._stream(org, query.stream_id)
        if self.store.delete(stream.id):
            self.cache.drop()
            self.entries.remove_key(stream.id)
            self._changed(org, query.actor.user_id)

    def test(self, query: StreamQuery) -> StreamDelivery:
        """Send one test event now, past the stream's queue: what happened."""
        org = self._owned(query)
        stream = self._stream(org, query.stream_id)
        return self.deliveries.test(stream, self._test_record(org))

    def delivery_log(self, query: StreamQuery) -> list[StreamDelivery]:
        stream = self._stream(self._owned(query), query.stream_id)
        return self.store.deliveries(stream.id, DELIVERIES_SHOWN)

    def resume(self, query: StreamQuery) -> LogStream:
        """A paused stream active again, its waiting entries sent at once (409
        ``stream_not_paused`` for an active one)."""
        org = self._owned(query)
        stream = self._stream(org, query.stream_id)
        if stream.active:
            raise stream_not_paused()
        resumed = self.store.change(stream.id, lambda s: None if s.active else s.resumed())
        if resumed is None:
            raise stream_not_found()
        self.cache.drop()
        self.queue.enqueue(Job(DELIVER, stream.id))
        self._changed(org, query.actor.user_id)
        return resumed

    # -- setup links

    def make_link(self, query: StreamQuery) -> LinkMade:
        """A link through which whoever holds it adds one stream to the org."""
        org = self._owned(query)
        token, now = new_token(), self.clock.now()
        link = StreamLink(
            hashed=token_hash(token),
            org_id=org.id,
            made_by=query.actor.user_id,
            created_at=now,
            expires_at=now + LINK_LIFE,
        )
        self.links.put(link)
        url = f"{self.public_url.rstrip('/')}{SETUP_PATH}?token={token}"
        return LinkMade(url=url, expires_at=link.expires_at)

    def link_view(self, token: str) -> LinkView:
        """What the link opens: 400 ``invalid_token`` when it opens nothing (unknown, spent,
        expired, or its maker no owner of the org any more)."""
        link, org = self._link(token)
        return LinkView(org_name=org.name, expires_at=link.expires_at)

    def create_through_link(self, token: str, body: Mapping[str, object]) -> StreamMade:
        """The stream the link's holder sets up, as its maker would: the link spent."""
        link, org = self._link(token)
        checked_setup(body, local=self.local)  # refused before the link is spent
        spent = self.links.spend(link.hashed, self.clock.now())
        if spent is None:
            raise InvalidToken()
        try:
            return self._add(org, link.made_by, body)
        except Exception:
            self.links.unspend(link.hashed)
            raise

    # -- the parts

    def _owned(self, query: StreamQuery) -> Org:
        return member_view(
            query.actor, query.org, orgs=self.orgs, permission=Permission.MANAGE_OWNERS
        ).org

    def _stream(self, org: Org, stream_id: str) -> LogStream:
        found = self.store.get(stream_id) if is_id(stream_id) else None
        if found is None or found.org_id != org.id:
            raise stream_not_found()
        return found

    def _link(self, token: str) -> tuple[StreamLink, Org]:
        now = self.clock.now()
        link = self.links.get(token_hash(token))
        if link is None or link.spent_at is not None or link.expires_at <= now:
            raise InvalidToken()
        org = self.orgs.get(link.org_id)
        membership = self.orgs.membership(link.org_id, link.made_by) if org else None
        if org is None or membership is None or OWNER not in membership.roles:
            raise InvalidToken()
        return link, org

    def _add(self, org: Org, by: str, body: Mapping[str, object]) -> StreamMade:
        setup = checked_setup(body, local=self.local)
        secret = new_secret() if setup.kind is StreamKind.HTTPS else None
        sealed = self.box.seal(secret or setup.secret) if (secret or setup.secret) else ""
        stream = LogStream(
            id=new_id(),
            org_id=org.id,
            kind=setup.kind,
            format=setup.format,
            target=setup.target,
            created_at=self.clock.now(),
            sealed_secret=sealed,
        )
        self.store.add(stream, MAX_STREAMS)
        self.cache.drop()
        self._changed(org, by)
        return StreamMade(stream=stream, secret=secret)

    def _changed(self, org: Org, by: str) -> None:
        self.audit.record(
            AuditEvent(Audit.ORG_UPDATED, user_id=by, org_id=org.id, reason=LOG_STREAMS)
        )

    def _test_record(self, org: Org) -> StreamRecord:
        now, event_id = self.clock.now(), new_id()
        body = {
            "version": 1,
            "id": event_id,
            "type": TEST_TYPE,
            "time": timestamp(now),
            "product": self.product.name,
            "org_id": org.id,
        }
        return StreamRecord(id=event_id, at=now, type=TEST_TYPE, body=json.dumps(body))
