"""A guest merged into the account its way in belongs to (docs/guests.md, "When the way in is
someone else's"): the ``merge_token`` of the 409 ``account_exists`` a guest's upgrade answers,
its redemption by that account, signed in, and the job that moves what the guest owns there
and deletes the guest (docs/decisions/0560-the-merge-token.md,
docs/decisions/0561-what-a-merge-moves.md, docs/decisions/0562-a-merge-accepted-once.md)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.accounts.accounts import (
    Caller,
    EndsBeforeDeletion,
    UserRepository,
    delete_account,
)
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    Job,
    JobQueue,
    MovableData,
    OwnedData,
    SecretBox,
)
from domain.accounts.guest.part import Guest
from domain.accounts.guest.refusals import AccountExists
from domain.accounts.merges import (
    GuestNotFound,
    InvalidMergeToken,
    MergeOffer,
    mergeable,
    merging,
)
from domain.accounts.users import User
from domain.errors import DomainError, NotFound
from domain.slots import Slot

log = logging.getLogger("firegate.guests")

# The accounts' slot for what the units keep per user that a merged guest's account is given
# (``GuestMerges``): filled by their ``lends`` (bootstrap/unit.py, ``Lent``).
MOVABLE_DATA = Slot[MovableData]("data given to the account a guest is merged into")
MERGE_GUEST = "merge_guest"  # the job that moves a guest's data and deletes the guest
MOVE_BATCH = 200  # documents per commit of a move
_SEALED_AS = "guest-merge"  # what a sealed merge token says it is: no other sealed text passes
MERGE_TOKEN_MAX_CHARS = 1024  # longer input is none of ours, refused before it is opened


def seal_offer(offer: MergeOffer, box: SecretBox) -> str:
    """The merge token: the offer sealed (encrypted and authenticated), so its ids are never
    shown and no one makes one but this service."""
    return box.seal(
        json.dumps(
            {
                "is": _SEALED_AS,
                "guest": offer.guest_id,
                "owner": offer.owner_id,
                "exp": offer.expires_at.isoformat(),
            },
            separators=(",", ":"),
        )
    )


def open_offer(token: str, box: SecretBox) -> MergeOffer:
    """The offer a merge token carries; 400 ``invalid_merge_token`` for anything this service
    did not seal as one."""
    if not 0 < len(token) <= MERGE_TOKEN_MAX_CHARS or not token.isascii():
        raise InvalidMergeToken()
    try:
        data = json.loads(box.open(token))
    except (DomainError, ValueError):  # altered, foreign or sealed by another key
        raise InvalidMergeToken() from None
    if not isinstance(data, dict) or data.get("is") != _SEALED_AS:
        raise InvalidMergeToken()
    guest, owner, expires = data.get("guest"), data.get("owner"), data.get("exp")
    if not (isinstance(guest, str) and isinstance(owner, str) and isinstance(expires, str)):
        raise InvalidMergeToken()
    try:
        expires_at = datetime.fromisoformat(expires)
    except ValueError:
        raise InvalidMergeToken() from None
    return MergeOffer(guest, owner, expires_at)


@dataclass(frozen=True)
class MergeGuest:
    """The signed-in account takes in the guest its ``merge_token`` offers it."""

    actor: Caller
    merge_token: str


@dataclass(frozen=True, kw_only=True, slots=True)
class GuestMerges:
    """Guests merged into the accounts their ways in belong to.

    ``box``: what seals the merge tokens; ``queue``: where the merge's job goes (run inline
    when the queue refuses it); ``movable``: what each capability gives the account with the
    guest; ``owned`` and ``departures``: the account deletion's, which deletes the guest
    with what stays of it (its passkeys, factors, identities, grants)."""

    users: UserRepository
    clock: Clock
    audit: AuditLog
    box: SecretBox
    queue: JobQueue
    movable: Sequence[MovableData]
    owned: Sequence[OwnedData]
    departures: Sequence[EndsBeforeDeletion]

    def offer(self, error: AccountExists) -> str:
        """The ``merge_token`` of a 409 ``account_exists``: the guest's data offered to the
        account that holds the way in, for a while (``MERGE_TOKEN_TTL``)."""
        return seal_offer(MergeOffer.of(error, self.clock.now()), self.box)

    def merge(self, cmd: MergeGuest) -> None:
        """Accept the merge: the guest is marked as being merged into the caller and its
        sessions end, in one compare-and-set commit, which one merge only passes; then the
        job is queued. 400 ``invalid_merge_token``, 403 ``merge_token_not_yours``, 404
        ``guest_not_found``, 409 ``not_a_guest`` or ``guest_merge_started``."""
        now = self.clock.now()
        offer = open_offer(cmd.merge_token, self.box)
        offer.redeemed_by(cmd.actor.user_id, now)
        owner_id = offer.owner_id

        def mark(guest: User) -> User:
            return merging(mergeable(guest, owner_id), owner_id, now)

        try:
            self.users.update(offer.guest_id, mark)
        except NotFound:
            raise GuestNotFound() from None
        try:
            self.queue.enqueue(Job(MERGE_GUEST, offer.guest_id))
        except Exception as error:  # marked already: finish it here instead
            log.warning("guest merge not queued (%s): merging inline", type(error).__name__)
            self.finish(offer.guest_id)

    def finish(self, guest_id: str) -> None:
        """Move what the guest owns to the account it is being merged into, tell the
        operator (``guest.merged``, at least once), then delete the guest. Idempotent: a
        guest gone or not being merged is left alone, and a retry moves what is left."""
        to = self._merging(guest_id)
        if to is None:
            return
        for data in self.movable:
            data.move_owned(guest_id, to, MOVE_BATCH)
        if self._merging(guest_id) != to:  # an upgrade in flight at the acceptance won
            return
        # Before the deletion: a run cut short after it would never send it.
        self.audit.record(AuditEvent(Audit.GUEST_MERGED, user_id=to, reason=guest_id))
        delete_account(
            guest_id,
            users=self.users,
            clock=self.clock,
            audit=self.audit,
            owned=self.owned,
            departures=self.departures,
        )

    def _merging(self, guest_id: str) -> str | None:
        """The account a live guest is being merged into; None for an account gone, not
        marked, or no longer a guest (an upgrade that had read it before the mark and
        committed after it: it keeps what it owns and is never deleted here)."""
        guest = self.users.get(guest_id)
        part = guest.part(Guest) if guest is not None else Guest()
        if guest is None or guest.deleted_at is not None or not part.is_guest:
            if guest is not None and part.merging_into is not None and not part.is_guest:
                log.warning("guest merge dropped: the guest signed up meanwhile")
            return None
        return part.merging_into

    def job(self, job: Job, final: bool) -> None:
        """The MERGE_GUEST job an accepted merge queues: the merge of the guest it names."""
        self.finish(job.subject)
