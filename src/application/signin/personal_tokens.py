"""Personal access tokens for scripts: made, listed and revoked by a signed-in session
(docs/reference/tokens.md). What a token may do is checked where it is presented
(authentication.py); a token never makes, lists nor revokes tokens (interfaces/http/auth.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.pagination import (
    Page,
    decode_cursor,
    paginate,
    parse_time_position,
    time_position,
)
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.signin.authentication import Actor
from application.signin.ports import ActiveOrgs
from domain.errors import NotFound, PermissionDenied, Unauthenticated
from domain.ids import is_id, new_id
from domain.signin.active_org import ActiveOrg, mfa_setup_required, not_found
from domain.signin.personal_tokens import PersonalToken


class PersonalTokenRepository(Protocol):
    def add(self, token: PersonalToken) -> None:
        """Store a new token."""
        ...

    def get(self, token_id: str) -> PersonalToken | None:
        """The token with this id, or None."""
        ...

    def list_page(
        self, user_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[PersonalToken]:
        """Up to ``limit`` of the user's tokens, newest first by (created_at, id), after that
        position; expired ones too."""
        ...

    def remove(self, token_id: str) -> bool:
        """Delete the token; True for the one call (of any number at once) that did."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Remove every token of the user, with the account (an OwnedData)."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Remove every token scoped to the org, with the org (an ``OrgPart``)."""
        ...


@dataclass(frozen=True)
class CreateToken:
    actor: Actor
    name: object  # checked by PersonalToken.issue: every bad field at once
    scopes: object
    expires_in: object
    org: str | None = None  # the id or slug of an org of the caller's it acts in; None: none


@dataclass(frozen=True)
class CreatedToken:
    token: PersonalToken
    text: str  # ``fgp_…``: handed over this once, stored only hashed


@dataclass(frozen=True)
class ListTokens:
    actor: Actor
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class RevokeToken:
    actor: Actor
    token_id: str


def _by_session(actor: Actor) -> None:
    # The routes refuse a personal token first (403 session_required); this keeps the rule
    # with the use cases for any other caller.
    if actor.personal:
        raise PermissionDenied(
            "Personal access tokens are made and revoked by a signed-in session.",
            code="session_required",
        )


def _member_org(actor: Actor, id_or_slug: str, orgs: ActiveOrgs) -> ActiveOrg:
    org = orgs.member_org(id_or_slug, actor.user_id) if id_or_slug else None
    if org is None:
        raise not_found()  # a non-member learns nothing of it
    if org.require_mfa and (actor.factor is None or not actor.factor.active):
        raise mfa_setup_required()
    return org


@dataclass(frozen=True, kw_only=True, slots=True)
class PersonalTokens:
    """A signed-in session's personal access tokens: made, listed and revoked."""

    tokens: PersonalTokenRepository
    orgs: ActiveOrgs
    clock: Clock
    audit: AuditLog

    def create(self, cmd: CreateToken) -> CreatedToken:
        """A new token at the account's current version (the one the session was checked
        against); the text is returned once. Scoped to an org (``cmd.org``), it acts in it
        while the account is a member: 404 ``org_not_found`` unless a member of that live
        org, 403 ``mfa_setup_required`` when the org requires a second factor the account has
        not set up (as for the session's active org: ``actor`` read with its factor). Never
        from a session of support access: a token would outlive its time box, without
        ``act`` (its routes refuse it: docs/support-access.md)."""
        actor = cmd.actor
        _by_session(actor)
        if actor.user is None:
            raise Unauthenticated("The access token is no longer valid.", code="invalid_token")
        org = _member_org(actor, cmd.org, self.orgs) if cmd.org is not None else None
        token, text = PersonalToken.issue(
            id=new_id(),
            user=actor.user,
            name=cmd.name,
            scopes=cmd.scopes,
            expires_in=cmd.expires_in,
            now=self.clock.now(),
            org_id=org.id if org is not None else None,
        )
        self.tokens.add(token)
        self.audit.record(
            AuditEvent(
                Audit.PAT_CREATED,
                user_id=actor.user_id,
                session_id=actor.session_id,
                reason=token.id,
                org_id=token.org_id,
            )
        )
        return CreatedToken(token, text)

    def list(self, cmd: ListTokens) -> Page[PersonalToken]:
        """The caller's tokens, newest first, paginated; expired ones are listed (as
        expired) until revoked or reaped."""
        _by_session(cmd.actor)
        position = decode_cursor(cmd.cursor)
        before = parse_time_position(position) if position is not None else None
        rows = self.tokens.list_page(cmd.actor.user_id, before, cmd.limit + 1)
        last = rows[cmd.limit - 1] if len(rows) > cmd.limit else None
        return paginate(rows, cmd.limit, time_position(last.created_at, last.id) if last else None)

    def revoke(self, cmd: RevokeToken) -> None:
        """Revoke one of the caller's tokens at once; another's, or one already revoked, is
        'not found' (of revocations at once, one succeeds)."""
        actor = cmd.actor
        _by_session(actor)
        token = self.tokens.get(cmd.token_id) if is_id(cmd.token_id) else None
        if token is None or token.user_id != actor.user_id or not self.tokens.remove(token.id):
            raise NotFound("No such personal access token.", code="token_not_found")
        self.audit.record(
            AuditEvent(
                Audit.PAT_REVOKED,
                user_id=actor.user_id,
                session_id=actor.session_id,
                reason=token.id,
            )
        )
