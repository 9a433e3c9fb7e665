"""Moves username and address claims to the current key rules, and lists the addresses that
fold onto another's (docs/decisions/0052-look-alike-usernames.md,
docs/decisions/0493-one-address-one-account.md).

Claims are keyed by ``Username.normalized`` and ``Email.normalized`` (``address_key``). When a
rule that makes a key changes, every stored claim under an older key must move, or its account
cannot sign in by that name or address, and its old key blocks nothing (lookups by address
already ignore a claim whose account's address no longer makes its key: ``holding``). Run
once after deploying a new rule (and again after the last instance of the old code stopped):
it is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.accounts.credentials import Email, Username, fold, folds_onto_another
from infrastructure.firestore.accounts.users import EMAILS, USERNAMES, USERS
from infrastructure.firestore.client import BOUNDED, claim_id
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore


@dataclass
class RekeyReport:
    moved: int = 0
    unchanged: int = 0
    # (user id, username, id of the account that holds the new key): the older account
    # keeps the name; these sign in by e-mail until they pick another username.
    collisions: list[tuple[str, str, str]] = field(default_factory=list)
    addresses_moved: int = 0
    # (user id, address, id of the account that holds its new key): the older account keeps
    # it; these sign in by username until an operator looks at both.
    address_collisions: list[tuple[str, str, str]] = field(default_factory=list)
    # (user id, address, the address it folded onto, id of the account holding that one or
    # ""): an address a new account may no longer take (``folds_onto_another``), which shared
    # a key with another person's under the older rule. Worth a look: the account may have
    # been made to sign in as the other address's holder.
    look_alikes: list[tuple[str, str, str, str]] = field(default_factory=list)


type _Moving = tuple[datetime, str, str, str | None, str]  # at, user id, shown, old key, key


def rekey_claims(client: firestore.Client) -> RekeyReport:
    report = RekeyReport()
    # Read in document order: ``created_at`` has no index (docs/decisions/
    # 0356-queries-held-against-their-indexes.md). The accounts whose claim moves are moved
    # oldest first, so that of two whose keys now meet the older keeps it.
    names: list[_Moving] = []
    addresses: list[_Moving] = []
    folded: list[tuple[str, str]] = []
    read = ["username", "username_normalized", "email", "email_normalized", "deleting"]
    for snap in client.collection(USERS).select([*read, "created_at"]).stream(**BOUNDED):
        data = snap.to_dict() or {}
        if data.get("deleting"):
            continue
        at, address = data["created_at"], data.get("email")
        key = Username(data["username"]).normalized
        if data.get("username_normalized") == key:
            report.unchanged += 1
        else:
            names.append((at, snap.id, data["username"], data.get("username_normalized"), key))
        if address and data.get("email_normalized") != (email_key := Email(address).normalized):
            addresses.append((at, snap.id, address, data.get("email_normalized"), email_key))
        if address and folds_onto_another(address):
            folded.append((snap.id, address))
    report.collisions = _moved(client, _USERNAME_CLAIMS, names)
    report.moved = len(names) - len(report.collisions)
    report.address_collisions = _moved(client, _ADDRESS_CLAIMS, addresses)
    report.addresses_moved = len(addresses) - len(report.address_collisions)
    for user_id, address in folded:
        local, _, domain = address.rpartition("@")
        onto = f"{fold(local)}@{fold(domain)}"
        report.look_alikes.append((user_id, address, onto, _holder(client, onto)))
    return report


# A kind of claim: its collection, and the field of the account that holds its key.
_USERNAME_CLAIMS = (USERNAMES, "username_normalized")
_ADDRESS_CLAIMS = (EMAILS, "email_normalized")


def _moved(
    client: firestore.Client, kind: tuple[str, str], moving: list[_Moving]
) -> list[tuple[str, str, str]]:
    """Moves each claim, oldest account first; the ones whose new key another holds (user
    id, what it names, the holder's id)."""
    collisions: list[tuple[str, str, str]] = []
    for _, user_id, shown, old_key, key in sorted(moving):
        holder = _move(client, kind, user_id, old_key, key)
        if holder != user_id:
            collisions.append((user_id, shown, holder))
    return collisions


def _holder(client: firestore.Client, address: str) -> str:
    """The id of the account whose address makes ``address``'s key, or ""."""
    snap = client.collection(EMAILS).document(claim_id(Email(address).normalized)).get(**BOUNDED)
    return str((snap.to_dict() or {}).get("user_id") or "") if snap.exists else ""


def _move(
    client: firestore.Client, kind: tuple[str, str], user_id: str, old_key: str | None, key: str
) -> str:
    """Moves the user's claim in ``collection`` to ``key``; the id of the account holding
    ``key`` after it.

    Compare-and-set, as every other change of claims (docs/decisions/
    0060-renames-by-compare-and-set.md): the claims are read without a lock, and one commit
    creates the new claim (AlreadyExists if another took it meanwhile: read again, and its
    holder keeps it), deletes the old one unless it changed since it was read, and updates
    the account."""
    collection, field_name = kind
    claims = client.collection(collection)
    new_ref = claims.document(claim_id(key))
    old_ref = claims.document(claim_id(old_key)) if old_key else None
    user_ref = client.collection(USERS).document(user_id)

    def attempt() -> str:
        refs = [new_ref] + ([old_ref] if old_ref is not None else [])
        found = {s.reference.path: s for s in client.get_all(refs, **BOUNDED)}
        held = found.get(new_ref.path)
        holder = (held.to_dict() or {}).get("user_id") if held is not None and held.exists else None
        if holder not in (None, user_id):
            return str(holder)
        batch = client.batch()
        if holder is None:
            batch.create(new_ref, {"user_id": user_id, "kind": collection})
        old = found.get(old_ref.path) if old_ref is not None else None
        if old is not None and old.exists and (old.to_dict() or {}).get("user_id") == user_id:
            batch.delete(old.reference, option=unchanged_since(old))
        batch.update(user_ref, {field_name: key})
        try:
            batch.commit(**BOUNDED)
        except exceptions.AlreadyExists:
            raise Stale from None  # the new key was claimed meanwhile: its holder keeps it
        return user_id

    return until_unchanged(attempt)
