"""The writes of a membership's change, and the transaction a change of an ordinary member
commits in: what the org repository (``orgs.py``) and SCIM's provisioning (``firestore/scim/
users.py``) share (docs/decisions/0470-no-org-document-on-the-membership-path.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.errors import Conflict, NotFound
from domain.orgs.orgs import (
    Membership,
    Org,
    check_given_roles,
    new_member_version,
    owners_after,
    owners_change,
)
from infrastructure.firestore.orgs.documents import (
    TOKEN_VERSION,
    grantable_org,
    is_live,
    member_to_doc,
)
from infrastructure.firestore.reads import Write
from infrastructure.firestore.sdk import exceptions, firestore

ORGS, MEMBERS = "orgs", "members"


def org_gone() -> NotFound:
    return NotFound("No such organization.", code="org_not_found")


def member_ref(client: firestore.Client, org_id: str, user_id: str) -> firestore.DocumentReference:
    member: firestore.DocumentReference = (
        client.collection(ORGS).document(org_id).collection(MEMBERS).document(user_id)
    )
    return member


def membership_writes(
    client: firestore.Client,
    org: tuple[Org, datetime],
    before: tuple[Membership, datetime] | None,
    after: Membership | None,
) -> list[Write]:
    """The writes of a membership's change from ``before`` (as read, with its update time)
    to ``after`` (None: removed) in the org as read: the membership's own, and the org's
    ``owners`` guarded by that read when it makes, demotes or removes an owner (409
    ``last_owner``). A
    write of the org comes first; with none, the caller commits in the transaction that
    read the org."""
    current, read_at = org
    old = before[0] if before is not None else None
    writes: list[Write] = []
    if owners_change(old, after):
        # ``ordered_by`` changes at each such write: a write of equal fields would leave the
        # update time, and so the guard of a concurrent reader, as it was.
        fields = {"owners": owners_after(current, old, after), "ordered_by": new_member_version()}
        writes.append(Write(f"{ORGS}/{current.id}", fields, unchanged_since=read_at))
    if after is None:
        return writes  # a removal: its caller deletes the membership
    path = member_ref(client, current.id, after.user_id).path
    if before is None:
        return [*writes, Write(path, member_to_doc(after), create=True)]
    return [*writes, Write(path, member_to_doc(after), unchanged_since=before[1])]


def join_writes(
    client: firestore.Client,
    org_id: str,
    found: tuple[dict[str, Any], datetime] | None,
    draft: Membership,
    check: Callable[[Org], None] = lambda org: None,
    *,
    token_version: int,
) -> tuple[Membership, list[Write]]:
    """``draft``, a new membership of the org as ``found`` read it (its fields and update
    time), with a new version; and the writes of its commit (``membership_writes``), the
    membership's holding its account's ``token_version``. NotFound when the org is gone."""
    if found is None or not is_live(found[0]):
        raise org_gone()
    org = grantable_org(org_id, found[0])
    check(org)  # the commit reads the org in its transaction, or is guarded by this read
    check_given_roles(draft, org.named_roles)  # as the org is now: none removed or retiring
    member = replace(draft, version=new_member_version()).resolved_in(org)
    path = member_ref(client, org_id, member.user_id).path
    return member, [
        replace(write, fields={**write.fields, TOKEN_VERSION: token_version})
        if write.path == path
        else write
        for write in membership_writes(client, (org, found[1]), None, member)
    ]


def guarded(writes: list[Write]) -> bool:
    """Whether ``writes`` write the org document (then they commit as a guarded batch)."""
    return bool(writes) and writes[0].path.count("/") == 1


def in_transaction[T](client: firestore.Client, run: Callable[[firestore.Transaction], T]) -> T:
    """``run`` in one read-write transaction, tried once: an abort (contention) is the
    caller's ``until_unchanged``'s to pace and retry."""
    try:
        result: T = firestore.transactional(run)(client.transaction(max_attempts=1))
    except ValueError as exhausted:  # how the library reports its last attempt aborted
        if isinstance(exhausted.__cause__, exceptions.Aborted):
            raise exhausted.__cause__ from None
        raise
    return result


def already_member() -> Conflict:
    return Conflict("This person is already a member.", code="already_member")
