"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): which clients a session's end
tells, with which ``sub`` and ``sid``, and the logout token's claims
(docs/reference/oauth.md, "Back-channel logout";
docs/decisions/0416-back-channel-logout-through-the-outbox.md)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.clients.oauth import OAuthClient
from domain.provider.grants import Grant

# The webhook outbox's event type of a logout token's delivery; its ``endpoint_id`` is the
# client's id.
BACKCHANNEL_LOGOUT = "oidc.backchannel_logout"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"  # §2.4's ``events`` member
LOGOUT_TOKEN_TTL = timedelta(minutes=2)  # minted at each attempt, so short is enough


@dataclass(frozen=True)
class LogoutNotice:
    """One logout token to send: to ``client_id``, about ``sub`` and, where known, its
    session at firegate (``sid``)."""

    client_id: str
    sub: str
    sid: str | None = None

    def payload(self) -> str:
        """What the outbox stores: the claims that name whom it logs out (the token is
        signed at each attempt, docs/decisions/0416-back-channel-logout-through-the-outbox.md)."""
        return json.dumps(
            {"sub": self.sub, **({"sid": self.sid} if self.sid is not None else {})},
            separators=(",", ":"),
        )

    @staticmethod
    def of_payload(client_id: str, payload: str) -> LogoutNotice:
        named = json.loads(payload)
        return LogoutNotice(client_id, str(named["sub"]), named.get("sid"))


def logout_claims(notice: LogoutNotice, *, issuer: str, jti: str, now: datetime) -> dict[str, Any]:
    """§2.4: ``iss``, ``aud``, ``iat``, ``exp``, ``jti``, ``events``, ``sub`` and the ``sid``
    if known; never a ``nonce``."""
    at = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": notice.client_id,
        "iat": at,
        "exp": at + int(LOGOUT_TOKEN_TTL.total_seconds()),
        "jti": jti,
        "events": {LOGOUT_EVENT: {}},
        "sub": notice.sub,
    }
    if notice.sid is not None:
        claims["sid"] = notice.sid
    return claims


@dataclass(frozen=True)
class SessionEnd:
    """Sessions of ``user_id`` that ended: only the one of ``only_sid``; or every one but the
    one of ``kept_sid`` (a change made from a session that it keeps); or, with neither, every
    one (a per-user end: logout everywhere, a reset, disabling, deletion)."""

    user_id: str
    only_sid: str | None = None
    kept_sid: str | None = None

    def _ended(self, grant: Grant) -> bool:
        if self.only_sid is not None:
            return grant.sid == self.only_sid
        if self.kept_sid is not None:
            return grant.sid is not None and grant.sid != self.kept_sid
        return True

    def notices(
        self,
        grants: Iterable[Grant],
        client_of: Callable[[str], OAuthClient | None],
        *,
        now: datetime,
        window: timedelta,
    ) -> list[LogoutNotice]:
        """One notice per client holding a grant of an ended session, and per session where
        the end names sessions or the client requires ``sid``; one without ``sid`` (every
        session of ``sub`` at the client) for a per-user end to a client that does not.
        A grant counts if it gave tokens, is not revoked, and was made or refreshed within
        ``window`` (the refresh tokens' lifetime)."""
        notices: dict[tuple[str, str | None], LogoutNotice] = {}
        for grant in grants:
            if not _recent(grant, now, window) or not self._ended(grant):
                continue
            client = client_of(grant.client_id)
            if client is None or client.backchannel_logout_uri is None:
                continue
            per_session = (
                self.only_sid is not None
                or self.kept_sid is not None
                or client.backchannel_logout_session_required
            )
            if per_session and grant.sid is None:
                continue  # no session to name (the device flow's grants)
            sid = grant.sid if per_session else None
            notices.setdefault(
                (client.client_id, sid), LogoutNotice(client.client_id, self.user_id, sid)
            )
        return list(notices.values())


def _recent(grant: Grant, now: datetime, window: timedelta) -> bool:
    if not grant.issued or grant.revoked:
        return False
    if grant.refresh_expires_at is not None and grant.refresh_expires_at > now:
        return True
    return grant.created_at > now - window
