"""Connected accounts: the external identities linked to one's account, listed, disconnected
and connected while signed in (docs/reference/identities.md).

Connecting while signed in is the way to link an identity to an account that may not be
linked by its address (rule 3 of application/federation/linking.py): the identity waits,
``hold_pending``, under the hash of a secret that only the browser that came back from the
provider keeps (a cookie), for ten minutes and for one use; once that browser is signed in to
an account, ``connect_pending`` links it there (docs/decisions/0282-pending-links.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.accounts.authentication import Actor, require_recent_sign_in
from application.accounts.ways_in import IdentityRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, ExternalIdentity
from application.signin.passkeys import PasskeyRepository
from domain.accounts.users import User
from domain.errors import Conflict
from domain.federation.identities import (
    PENDING_FOR,
    IdentityLink,
    PendingLink,
    WayIn,
    linked_to,
    unlinking,
)
from domain.mail.action_tokens import InvalidToken, new_token, token_hash

# Passkeys read to know whether one is left: one is enough.
_ANY_PASSKEY = 1


@dataclass(frozen=True)
class ListIdentities:
    actor: Actor


def list_identities(cmd: ListIdentities, *, identities: IdentityRepository) -> list[IdentityLink]:
    """The caller's linked identities, Firebase's too, oldest first."""
    return identities.list_for(cmd.actor.user_id)


@dataclass(frozen=True)
class Disconnect:
    actor: Actor
    provider: str


def disconnect(
    cmd: Disconnect,
    *,
    identities: IdentityRepository,
    passkeys: PasskeyRepository,
    clock: Clock,
    audit: AuditLog,
) -> None:
    """Unlink the caller's identities of ``provider``: NotFound (identity_not_found) when
    none is linked, Conflict (last_sign_in_method) when the account would keep no way to
    sign in. Parallel disconnects and passkey deletions of an account's last ways leave one
    (domain.federation.identities.keep_a_way_in)."""
    gone = identities.unlink(
        cmd.actor.user_id,
        # The passkeys read after the account: a passkey deleted meanwhile moved its update
        # time (PasskeyRepository.delete_guarded), so this commit is built again.
        lambda user, links: unlinking(
            user, links, cmd.provider, len(passkeys.list_for_user(user.id, _ANY_PASSKEY))
        ),
        clock.now(),
    )
    for link in gone:
        audit.record(
            AuditEvent(Audit.IDENTITY_UNLINKED, user_id=cmd.actor.user_id, reason=link.provider)
        )


@dataclass(frozen=True)
class Connect:
    """Link ``identity`` to the caller's account (their provider's sign-in in "connect"
    mode, or a pending link they signed in for)."""

    actor: Actor
    identity: ExternalIdentity


def connect(cmd: Connect, *, identities: IdentityRepository, clock: Clock, audit: AuditLog) -> User:
    """The account, with the identity linked; Conflict (identity_taken) when the identity
    is another account's. Connecting it again is no change. A new link is a new way in: only
    a session signed in lately makes one (ReauthenticationRequired), and its notice names it."""
    require_recent_sign_in(cmd.actor)
    identity, user_id = cmd.identity, cmd.actor.user_id
    linked = identities.find_by_identity(identity.provider, identity.subject)
    if linked is None:
        now = clock.now()
        linked = identities.link_existing(
            user_id,
            identity.provider,
            identity.subject,
            lambda current: linked_to(current, now),
            identity.email,
        )
        if linked is not None and linked.id == user_id:
            audit.record(
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


@dataclass(frozen=True)
class HoldPending:
    identity: ExternalIdentity
    provider_name: str


def hold_pending(cmd: HoldPending, *, identities: IdentityRepository, clock: Clock) -> str:
    """The secret under which ``cmd.identity`` waits for its person to sign in."""
    secret = new_token()
    identity = cmd.identity
    identities.hold(
        token_hash(secret),
        PendingLink(
            provider=identity.provider,
            subject=identity.subject,
            email=identity.email,
            email_verified=identity.email_verified,
            display_name=identity.display_name,
            provider_name=cmd.provider_name,
            expires_at=clock.now() + PENDING_FOR,
        ),
    )
    return secret


def pending_link(secret: str, *, identities: IdentityRepository, clock: Clock) -> PendingLink:
    """The live pending link of ``secret``; InvalidToken (400) when none is."""
    found = identities.pending(token_hash(secret))
    if found is None or not found.live(clock.now()):
        raise InvalidToken()
    return found


@dataclass(frozen=True)
class ConnectPending:
    actor: Actor
    secret: str


def connect_pending(
    cmd: ConnectPending, *, identities: IdentityRepository, clock: Clock, audit: AuditLog
) -> PendingLink:
    """Spend the pending link and connect its identity to the caller's account; InvalidToken
    when it is spent, expired or unknown."""
    found = identities.take(token_hash(cmd.secret))
    if found is None or not found.live(clock.now()):
        raise InvalidToken()
    identity = ExternalIdentity(
        found.provider, found.subject, found.email, found.email_verified, found.display_name
    )
    connect(Connect(cmd.actor, identity), identities=identities, clock=clock, audit=audit)
    return found


@dataclass(frozen=True)
class ConnectedServices:
    list: Callable[[ListIdentities], list[IdentityLink]]
    disconnect: Callable[[Disconnect], None]
    connect: Callable[[Connect], User]
    hold_pending: Callable[[HoldPending], str]
    pending: Callable[[str], PendingLink]
    connect_pending: Callable[[ConnectPending], PendingLink]
