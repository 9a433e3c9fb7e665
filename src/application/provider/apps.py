"""The account's "apps with access": the apps and agents it gave a grant that still holds
(what, since when, last used), and the end of them all for one client
(docs/reference/oauth.md, "Apps with access")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from application.accounts.accounts import UserRepository
from application.clients.ports import OAuthClients
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.provider.ports import OAuthGrants
from application.signin.authentication import Actor
from domain.clients.oauth import scope_list


@dataclass(frozen=True)
class AppAccess:
    client_id: str
    name: str
    scopes: tuple[str, ...]
    granted_at: datetime  # its first live grant's
    # When a token of its grants was last used, to the hour; None: not since it was given
    last_used_at: datetime | None = None

    @property
    def host(self) -> str | None:
        """The host of a client whose id is an https URL (a client metadata document's,
        fetched from that host): who stands behind the name; None for a registered one."""
        parts = urlsplit(self.client_id)
        return parts.hostname if parts.scheme == "https" and parts.hostname else None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a is not None and b is not None else a or b


MAX_GRANTS_LISTED = 100


@dataclass(frozen=True)
class ListApps:
    actor: Actor


@dataclass(frozen=True)
class RevokeApp:
    actor: Actor
    client_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AppsWithAccess:
    """The account's "apps with access", and the end of them all for one client."""

    grants: OAuthGrants
    clients: OAuthClients
    users: UserRepository
    audit: AuditLog
    clock: Clock

    def list_apps(self, cmd: ListApps) -> list[AppAccess]:
        actor = cmd.actor
        # The account as authenticate() read it for this request, else read now.
        user = actor.user if actor.user is not None else self.users.get(actor.user_id)
        version = user.token_version if user is not None else -1
        apps: dict[str, AppAccess] = {}
        now = self.clock.now()
        for grant in self.grants.list_for_user(actor.user_id, MAX_GRANTS_LISTED):
            client = self.clients.get(grant.client_id)
            if client is None or not grant.live(version, now):
                continue
            known = apps.get(client.client_id)
            scopes = scope_list(grant.scope) + (known.scopes if known else ())
            first = min(grant.created_at, known.granted_at) if known else grant.created_at
            used = _later(grant.last_used_at, known.last_used_at if known else None)
            apps[client.client_id] = AppAccess(
                client.client_id, client.name, tuple(dict.fromkeys(scopes)), first, used
            )
        return sorted(apps.values(), key=lambda app: app.granted_at, reverse=True)

    def revoke_app(self, cmd: RevokeApp) -> None:
        """End every grant the user gave the client, and forget the consent."""
        ended = 0
        for grant in self.grants.list_for_user(cmd.actor.user_id, MAX_GRANTS_LISTED):
            if grant.client_id == cmd.client_id and self.grants.revoke(grant.id):
                ended += 1
        self.grants.delete_consent(cmd.actor.user_id, cmd.client_id)
        if ended:
            self.audit.record(
                AuditEvent(
                    Audit.OAUTH_REVOKED,
                    user_id=cmd.actor.user_id,
                    session_id=cmd.actor.session_id,
                    reason="user_revoked",
                )
            )
