"""Connected accounts: the external identities linked to one's account, listed, disconnected
and connected while signed in (docs/reference/identities.md).

Connecting while signed in is the way to link an identity to an account that may not be
linked by its address (rule 3 of application/federation/linking.py): the identity waits,
``hold_pending``, under the hash of a secret that only the browser that came back from the
provider keeps (a cookie), for ten minutes and for one use; once that browser is signed in to
an account, ``connect_pending`` links it there (docs/decisions/0282-pending-links.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from application.accounts.ways_in import IdentityRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, ExternalIdentity
from application.signin.authentication import Actor, require_recent_sign_in
from application.signin.factors.passkeys import PasskeyRepository
from domain.accounts.identities import (
    PENDING_FOR,
    IdentityLink,
    PendingLink,
    linked_to,
    unlinking,
)
from domain.accounts.users import User
from domain.errors import Conflict
from domain.link_tokens import InvalidToken, new_token, token_hash
from domain.ways_in import WayIn

# Passkeys read to know whether one is left: one is enough.
_ANY_PASSKEY = 1


@dataclass(frozen=True)
class ListIdentities:
    actor: Actor


@dataclass(frozen=True)
class Disconnect:
    actor: Actor
    provider: str


@dataclass(frozen=True)
class Connect:
    """Link ``identity`` to the caller's account (their provider's sign-in in "connect"
    mode, or a pending link they signed in for)."""

    actor: Actor
    identity: ExternalIdentity


@dataclass(frozen=True)
class HoldPending:
    identity: ExternalIdentity
    provider_name: str


@dataclass(frozen=True)
class ConnectPending:
    actor: Actor
    secret: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ConnectedAccounts:
    """The external identities linked to one's account: listed, disconnected, connected while
    signed in, and held pending for their person to sign in."""

    identities: IdentityRepository
    passkeys: PasskeyRepository
    clock: Clock
    audit: AuditLog

    def list(self, cmd: ListIdentities) -> list[IdentityLink]:
        """The caller's linked identities, Firebase's too, oldest first."""
        return self.identities.list_for(cmd.actor.user_id)

    def disconnect(self, cmd: Disconnect) -> None:
        """Unlink the caller's identities of ``provider``: NotFound (identity_not_found) when
        none is linked, Conflict (last_sign_in_method) when the account would keep no way to
        sign in. Parallel disconnects and passkey deletions of an account's last ways leave
        one (domain.accounts.identities.keep_a_way_in)."""
        passkeys = self.passkeys
        gone = self.identities.unlink(
            cmd.actor.user_id,
            # The passkeys read after the account: a passkey deleted meanwhile moved its
            # update time (PasskeyRepository.delete_guarded), so this commit is built again.
            lambda user, links: unlinking(
                user, links, cmd.provider, len(passkeys.list_for_user(user.id, _ANY_PASSKEY))
            ),
            self.clock.now(),
        )
        for link in gone:
            self.audit.record(
                AuditEvent(Audit.IDENTITY_UNLINKED, user_id=cmd.actor.user_id, reason=link.provider)
            )

    def connect(self, cmd: Connect) -> User:
        """The account, with the identity linked; Conflict (identity_taken) when the identity
        is another account's. Connecting it again is no change. A new link is a new way in:
        only a session signed in lately makes one (ReauthenticationRequired), and its notice
        names it. A guest's first identity comes with its upgrade ("Continue with" signed in
        as the guest): 403 ``guest_upgrade_required`` here (docs/guests.md)."""
        require_recent_sign_in(cmd.actor)
        if cmd.actor.user is not None:
            cmd.actor.user.signed_up()  # a guest signs up with the identity instead
        identity, user_id, identities = cmd.identity, cmd.actor.user_id, self.identities
        linked = identities.find_by_identity(identity.provider, identity.subject)
        if linked is None:
            now = self.clock.now()
            linked = identities.link_existing(
                user_id,
                identity.provider,
                identity.subject,
                lambda current: linked_to(current.signed_up(), now),
                identity.email,
            )
            if linked is not None and linked.id == user_id:
                self.audit.record(
                    AuditEvent(
                        Audit.IDENTITY_LINKED,
                        user_id=user_id,
                        reason=identity.provider,
                        added=WayIn.identity(identity.provider, identity.subject),
                    )
                )
        if linked is None or linked.id != user_id:
            raise Conflict(
                "This account of the provider is connected to another account here.",
                code="identity_taken",
            )
        return linked

    def hold_pending(self, cmd: HoldPending) -> str:
        """The secret under which ``cmd.identity`` waits for its person to sign in."""
        secret = new_token()
        identity = cmd.identity
        self.identities.hold(
            token_hash(secret),
            PendingLink(
                provider=identity.provider,
                subject=identity.subject,
                email=identity.email,
                email_verified=identity.email_verified,
                display_name=identity.display_name,
                provider_name=cmd.provider_name,
                expires_at=self.clock.now() + PENDING_FOR,
            ),
        )
        return secret

    def pending(self, secret: str) -> PendingLink:
        """The live pending link of ``secret``; InvalidToken (400) when none is."""
        found = self.identities.pending(token_hash(secret))
        if found is None or not found.live(self.clock.now()):
            raise InvalidToken()
        return found

    def connect_pending(self, cmd: ConnectPending) -> PendingLink:
        """Spend the pending link and connect its identity to the caller's account;
        InvalidToken when it is spent, expired or unknown."""
        found = self.identities.take(token_hash(cmd.secret))
        if found is None or not found.live(self.clock.now()):
            raise InvalidToken()
        identity = ExternalIdentity(
            found.provider, found.subject, found.email, found.email_verified, found.display_name
        )
        self.connect(Connect(cmd.actor, identity))
        return found
