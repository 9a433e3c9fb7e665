"""Fakes of single sign-on's ports: the connections, the SAML assertions used, the IdP
metadata fetched at a URL."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime

from application.outbound import DocumentTooLarge, WebhookUnreachable
from application.ports import NO_WRITES, StagedWrites
from application.sso.ports import SESSIONS_OF_SUBJECT_MAX
from domain.errors import Conflict
from domain.sso.connections import (
    CONNECTIONS_MAX,
    Connection,
    ConnectionKind,
    no_such_connection,
)
from domain.sso.logout import SamlSessionOrigin
from tests.fakes.kernel import InMemoryStore


class FakeConnections:
    """The connections in a dictionary, each change under the store's lock as one Firestore
    commit is."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self.lock = self.store.lock
        self.connections: dict[str, Connection] = {}

    def _of(self, org_id: str) -> list[Connection]:
        return [c for c in self.connections.values() if c.org_id == org_id]

    def add(self, connection: Connection, staged: StagedWrites = NO_WRITES) -> None:
        with self.lock:
            if len(self._of(connection.org_id)) >= CONNECTIONS_MAX:
                raise Conflict("Too many connections.", code="too_many_connections")
            self.connections[connection.id] = connection
            self.store.commit_staged(staged)

    def get(self, connection_id: str) -> Connection | None:
        with self.lock:
            return self.connections.get(connection_id)

    def list_for(self, org_id: str) -> list[Connection]:
        with self.lock:
            return sorted(self._of(org_id), key=lambda c: (c.created_at, c.id))

    def oidc_by_issuer(self, issuer: str) -> list[Connection]:
        bare = issuer.rstrip("/")
        with self.lock:
            return [
                c
                for c in self.connections.values()
                if c.kind is ConnectionKind.OIDC and bare and c.oidc.issuer.rstrip("/") == bare
            ]

    def any_active(self) -> bool:
        with self.lock:
            return any(c.active for c in self.connections.values())

    def active_page(self, after: str | None, limit: int) -> list[Connection]:
        with self.lock:
            active = sorted(
                (
                    c
                    for c in self.connections.values()
                    if c.active and (after is None or c.id > after)
                ),
                key=lambda c: c.id,
            )
            return active[:limit]

    def replace(self, connection: Connection, staged: StagedWrites = NO_WRITES) -> Connection:
        with self.lock:
            stored = self.connections.get(connection.id)
            if stored is None:
                raise no_such_connection()
            if stored.version != connection.version - 1:
                raise Conflict("Changed meanwhile.", code="connection_changed")
            self.connections[connection.id] = connection
            self.store.commit_staged(staged)
            return connection

    def delete(self, org_id: str, connection_id: str) -> Connection | None:
        with self.lock:
            stored = self.connections.get(connection_id)
            if stored is None or stored.org_id != org_id:
                return None
            return self.connections.pop(connection_id)

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        with self.lock:
            for connection in self._of(org_id):
                del self.connections[connection.id]


class FakeSpentAssertions:
    def __init__(self) -> None:
        self.spent: dict[tuple[str, str], datetime] = {}
        self.lock = threading.Lock()

    def spend(self, connection_id: str, assertion_id: str, expires_at: datetime) -> bool:
        with self.lock:
            if (connection_id, assertion_id) in self.spent:
                return False
            self.spent[connection_id, assertion_id] = expires_at
            return True


class FakeDocumentGetter:
    """Answers a GET of each URL in ``documents`` with its text (an int: that status), at most
    ``limit`` bytes as the real one; any other URL does not answer. Keeps each URL asked and
    the address it was pinned to."""

    def __init__(self, documents: Mapping[str, str | int] | None = None) -> None:
        self.documents = dict(documents or {})
        self.asked: list[tuple[str, str | None]] = []

    def get(self, url: str, address: str | None, limit: int) -> bytes:
        self.asked.append((url, address))
        answer = self.documents.get(url)
        if answer is None:
            raise WebhookUnreachable("connection_refused")
        if isinstance(answer, int):
            raise WebhookUnreachable("redirect" if 300 <= answer < 400 else f"status_{answer}")
        body = answer.encode()
        if len(body) > limit:
            raise DocumentTooLarge(str(limit))
        return body


class FakeSamlSessions:
    """``SamlSessions`` in memory."""

    def __init__(self) -> None:
        self.origins: dict[str, SamlSessionOrigin] = {}
        self.lock = threading.Lock()

    def record(self, origin: SamlSessionOrigin) -> None:
        with self.lock:
            self.origins[origin.session_id] = origin

    def get(self, session_id: str) -> SamlSessionOrigin | None:
        return self.origins.get(session_id)

    def of_subject(self, connection_id: str, subject_key: str) -> list[SamlSessionOrigin]:
        with self.lock:
            return [
                o
                for o in self.origins.values()
                if o.connection_id == connection_id and o.subject_key == subject_key
            ][:SESSIONS_OF_SUBJECT_MAX]

    def forget(self, session_ids: Sequence[str]) -> None:
        with self.lock:
            for session_id in session_ids:
                self.origins.pop(session_id, None)
