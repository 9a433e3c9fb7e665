"""What a person let a client have, asked once and remembered (docs/reference/oauth.md,
"Consent")."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import Clock
from application.provider.ports import OAuthGrants
from domain.clients.oauth import scope_list
from domain.provider.grants import Consent


@dataclass(frozen=True)
class ConsentQuery:
    user_id: str
    client_id: str
    scope: str
    resource: str | None = None  # the RFC 8707 resource the app asks for


@dataclass(frozen=True, kw_only=True, slots=True)
class Consents:
    """Whether a person let a client have a scope (and resource), and remembering it."""

    grants: OAuthGrants
    clock: Clock

    def consent_needed(self, cmd: ConsentQuery) -> bool:
        found = self.grants.get_consent(cmd.user_id, cmd.client_id)
        return found is None or not found.covers(scope_list(cmd.scope), cmd.resource)

    def remember_consent(self, cmd: ConsentQuery) -> None:
        """The one place a consent is given: by the person, never by a session of support
        access, whose consent would outlive it: its route refuses it (403
        ``impersonation_forbidden``; docs/decisions/0587-support-access-at-the-provider.md)."""
        found = self.grants.get_consent(cmd.user_id, cmd.client_id)
        scopes = scope_list(cmd.scope) + (found.scopes if found else ())
        resources = ((cmd.resource,) if cmd.resource else ()) + (found.resources if found else ())
        self.grants.put_consent(
            Consent(
                cmd.user_id,
                cmd.client_id,
                tuple(dict.fromkeys(scopes)),
                self.clock.now(),
                tuple(dict.fromkeys(resources)),
            )
        )
