"""An org's SCIM tokens: its admins make one for their directory (shown once), list and
revoke them; a directory's request presents one, and the token decides the org
(docs/reference/scim.md, "Tokens").

Tokens are made and revoked by a signed-in session of an admin (``member_view`` with
``MANAGE_ORG``): for anyone else the org does not exist (404) or the change is not theirs
to make (403).
"""

from __future__ import annotations

from dataclasses import dataclass

from application.orgs.orgs import member_view
from application.orgs.ports import OrgRepository
from application.pagination import (
    Page,
    decode_cursor,
    paginate,
    parse_time_position,
    time_position,
)
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.scim.ports import ScimTokens
from application.signin.authentication import Actor
from domain.errors import PermissionDenied, Unauthenticated
from domain.ids import is_id, new_id
from domain.orgs.orgs import Org
from domain.orgs.roles import Permission
from domain.scim.tokens import PresentedScimToken, ScimToken, no_such_token

INVALID_TOKEN = "invalid_token"


@dataclass(frozen=True)
class CreateScimToken:
    actor: Actor
    org: str  # the id or slug, as the path names it
    name: object  # checked by ScimToken.issue


@dataclass(frozen=True)
class CreatedScimToken:
    token: ScimToken
    text: str  # ``fgs_…``: handed over this once, stored only hashed


@dataclass(frozen=True)
class ListScimTokens:
    actor: Actor
    org: str
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class RevokeScimToken:
    actor: Actor
    org: str
    token_id: str


def _admin(actor: Actor, org: str, orgs: OrgRepository) -> Org:
    if actor.personal:  # the routes refuse one first; kept with the rule for other callers
        raise PermissionDenied(
            "SCIM tokens are made and revoked by a signed-in session.", code="session_required"
        )
    return member_view(actor, org, orgs=orgs, permission=Permission.MANAGE_ORG).org


def _event(kind: Audit, actor: Actor, token: ScimToken) -> AuditEvent:
    return AuditEvent(
        kind,
        user_id=actor.user_id,
        session_id=actor.session_id,
        reason=token.id,
        org_id=token.org_id,
    )


@dataclass(frozen=True)
class Directory:
    """Who a SCIM request speaks for: the org its token opens, and who made that token (what
    the token may do of the org's owners follows them:
    docs/decisions/0451-scim-acts-on-owners-by-an-owners-token.md)."""

    org: Org
    made_by: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DirectoryTokens:
    """An org's SCIM tokens: its admins make, list and revoke them; a directory's request
    presents one (``authenticate``).

    ``orgs``: whose admins make the tokens."""

    orgs: OrgRepository
    tokens: ScimTokens
    clock: Clock
    audit: AuditLog

    def create(self, cmd: CreateScimToken) -> CreatedScimToken:
        """A new token of the org; its text is returned once."""
        org = _admin(cmd.actor, cmd.org, self.orgs)
        token, text = ScimToken.issue(
            id=new_id(),
            org_id=org.id,
            name=cmd.name,
            created_by=cmd.actor.user_id,
            now=self.clock.now(),
        )
        self.tokens.add(token)
        self.audit.record(_event(Audit.ORG_SCIM_TOKEN_CREATED, cmd.actor, token))
        return CreatedScimToken(token, text)

    def list(self, cmd: ListScimTokens) -> Page[ScimToken]:
        """The org's tokens (never a secret), newest first, paginated."""
        org = _admin(cmd.actor, cmd.org, self.orgs)
        position = decode_cursor(cmd.cursor)
        before = parse_time_position(position) if position is not None else None
        rows = self.tokens.list_page(org.id, before, cmd.limit + 1)
        last = rows[cmd.limit - 1] if len(rows) > cmd.limit else None
        return paginate(rows, cmd.limit, time_position(last.created_at, last.id) if last else None)

    def revoke(self, cmd: RevokeScimToken) -> None:
        """Revoke one of the org's tokens: the directory's next request with it gets 401;
        another org's, or one already revoked, is 'not found' (of revocations at once, one
        succeeds)."""
        org = _admin(cmd.actor, cmd.org, self.orgs)
        tokens = self.tokens
        token = tokens.get(cmd.token_id) if is_id(cmd.token_id) else None
        if token is None or token.org_id != org.id or not tokens.remove(token.id):
            raise no_such_token()
        self.audit.record(_event(Audit.ORG_SCIM_TOKEN_REVOKED, cmd.actor, token))

    def authenticate(self, text: str) -> Directory:
        """The org whose live token ``text`` is, read with it in one round trip; 401
        ``invalid_token`` for anything else (a revoked token, a deleted org's)."""
        presented = PresentedScimToken.parse(text)
        token, org = (
            self.tokens.load(presented.org_id, presented.token_id) if presented else (None, None)
        )
        if presented is None or token is None or org is None or not token.opens(presented):
            raise Unauthenticated("The SCIM token is not valid.", code=INVALID_TOKEN)
        return Directory(org, token.created_by)
