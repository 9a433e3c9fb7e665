"""An invitation to join an org: sent to an address with the roles it gives, accepted once, by
one person whose address it is (docs/reference/orgs.md, "Invitations").

Its link carries a single-use token made as the mail flows' are (``domain.mail.action_tokens``):
only its SHA-256 hash is stored, on the invitation. Accepting is a transition of the
invitation (``accepted``), stored under compare-and-set, before the membership is added
(docs/decisions/0372-accepting-an-org-invitation.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.accounts.credentials import Email
from domain.accounts.users import User
from domain.errors import Conflict, NotFound, PermissionDenied
from domain.link_tokens import InvalidToken


def invitation_id(org_id: str, email: Email) -> str:
    """One invitation per org and address: a second one to the same address replaces it."""
    return hashlib.sha256(f"{org_id}\n{email.normalized}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class OrgInvitation:
    id: str
    org_id: str
    email: str  # the address invited, normalized as accounts normalize theirs
    roles: tuple[str, ...]
    created_by: str  # the user id of the admin who invited
    created_at: datetime
    expires_at: datetime
    token_hash: str = ""  # "" until its mail is sent: no token matches it
    accepted_by: str | None = None
    accepted_at: datetime | None = None
    address: str = ""  # the address as invited ("" in one stored before: ``email`` then)

    @property
    def mailed_to(self) -> str:
        """Where the invitation's mail goes when no account holds its address: the address as
        the admin typed it, not its key (whose local part is folded)."""
        return self.address or self.email

    @staticmethod
    def create(
        org_id: str,
        email: Email,
        roles: tuple[str, ...],
        *,
        created_by: str,
        now: datetime,
        ttl: timedelta,
    ) -> OrgInvitation:
        return OrgInvitation(
            id=invitation_id(org_id, email),
            org_id=org_id,
            email=email.normalized,
            address=email.value,
            roles=roles,
            created_by=created_by,
            created_at=now,
            expires_at=now + ttl,
        )

    @property
    def pending(self) -> bool:
        return self.accepted_by is None

    def open_at(self, now: datetime) -> bool:
        """Pending and unexpired: its address may still sign up where sign-up is by
        invitation only (docs/security.md, "Who may sign up")."""
        return self.pending and now < self.expires_at

    def with_token(self, hashed: str, created_at: datetime) -> OrgInvitation:
        """The link its mail carries, once the mail job issues it: only for the invitation the
        job was queued for (not one that replaced it since) and only while pending."""
        if self.created_at != created_at or not self.pending:
            raise NotFound("No such invitation.", code="invitation_not_found")
        return replace(self, token_hash=hashed)

    def accepted(self, user_id: str, hashed: str, now: datetime) -> OrgInvitation:
        """Spent by ``user_id``; spent by them already, unchanged (their membership is then
        added again, or found there); 409 ``invitation_used`` when someone else spent it,
        400 ``invalid_token`` when the token is not its current one or it has expired."""
        if not self.token_hash or hashed != self.token_hash:
            raise InvalidToken()
        if self.accepted_by == user_id:
            return self
        if self.accepted_by is not None:
            raise Conflict("This invitation has been used already.", code="invitation_used")
        if now >= self.expires_at:
            raise InvalidToken()
        return replace(self, accepted_by=user_id, accepted_at=now)

    def check_address(self, user: User) -> None:
        """403 ``address_mismatch`` unless the person's address is the invited one; an
        address not yet proven is proven by the invitation's token, which was mailed to it
        (docs/decisions/0373-the-invitation-proves-the-address.md)."""
        if user.email is None or user.email.normalized != self.email:
            raise PermissionDenied(
                "This invitation was sent to another address than your account's.",
                code="address_mismatch",
            )
