"""What a ``credentials_exchange`` hook is told about a token the OpenID provider issues with
no person in it (a client's own, ``client_credentials``; or one of a token exchange), and the
refusal when a failed hook says to refuse (docs/hooks.md, "credentials_exchange",
docs/decisions/0580-credentials-exchange.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import PermissionDenied

CLIENT_CREDENTIALS = "client_credentials"


@dataclass(frozen=True, slots=True)
class CredentialsRequest:
    """The hook's payload: the client the token is issued to (its id and the org that owns
    it), the token's scope and audience, the grant, and for an exchange the subject token's
    ``sub``, ``client_id`` and ``act``. ``org``: the org the token acts in (the hooks'
    scope), if any."""

    client_id: str
    client_org_id: str | None
    scope: str
    audience: str
    grant_type: str
    subject: Mapping[str, object] | None = None
    org: str | None = None

    def payload(self) -> dict[str, object]:
        payload: dict[str, object] = {
            "client": {"client_id": self.client_id, "org_id": self.client_org_id},
            "scope": self.scope,
            "audience": self.audience,
            "grant_type": self.grant_type,
        }
        if self.subject is not None:
            payload["subject"] = dict(self.subject)
        return payload


class CredentialsRefused(PermissionDenied):
    """A ``credentials_exchange`` hook set to ``on_failure: deny`` failed: no token is issued
    (the token endpoint answers ``access_denied``)."""

    code = "hook_failed"


def credentials_refused() -> CredentialsRefused:
    return CredentialsRefused(
        "No token was issued: a check this service makes before it issues a token failed. "
        "Try again shortly."
    )
