"""The active org's reads: an org and one person's membership of it, read together, by the
fixed layout of ``application/orgs/ports.py`` (read-only; the org repository writes them).
The per-request check reads the same two documents in the user's and the session's round
trip (``member_paths``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.accounts.credentials import username_key
from domain.ids import is_id
from domain.orgs.orgs import active_org, is_slug_shaped
from domain.signin.active_org import ActiveOrg, stored_policy
from infrastructure.firestore.client import claim_id, read_document, read_documents
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.orgs.membership_writes import MEMBERS, ORGS
from infrastructure.firestore.orgs.orgs import ORG_SLUGS, FirestoreOrgRepository
from infrastructure.firestore.sdk import firestore


def member_paths(org_id: str, user_id: str) -> list[str]:
    """The paths of the org's document and the person's membership of it, in that order."""
    return [f"{ORGS}/{org_id}", f"{ORGS}/{org_id}/{MEMBERS}/{user_id}"]


def active_org_from_docs(
    org_id: str, org: dict[str, Any] | None, member: dict[str, Any] | None
) -> ActiveOrg | None:
    """The person's active org when the org is live and they are its member; else None."""
    if org is None or member is None or org.get("deleted_at") is not None:
        return None
    return ActiveOrg(
        id=org_id,
        slug=org["slug"],
        roles=tuple(member.get("roles", ())),
        version=int(member.get("version", 0)),
        require_mfa=bool(org.get("require_mfa", False)),
        joined_at=member.get("joined_at"),
        name=str(org.get("name", "")),
        permissions=tuple(member.get("permissions", ())),
        agents=stored_policy(org.get("agent_mode"), org.get("agent_hosts")),
        support_access=org.get("impersonation", "allow") != "forbid",
    )


class OrgMembershipPart:
    """The orgs' part of the read of every request that acts in an org: the org and the
    person's membership of it (``MembershipPart`` of firestore/signin/principals.py)."""

    def paths(self, org_id: str, user_id: str) -> list[str]:
        return member_paths(org_id, user_id)

    def parse(self, org_id: str, found: Sequence[dict[str, Any] | None]) -> ActiveOrg | None:
        org, member = found
        return active_org_from_docs(org_id, org, member)


@translates_errors
class FirestoreActiveOrgs:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def member_org(self, id_or_slug: str, user_id: str) -> ActiveOrg | None:
        org_id: str | None = id_or_slug
        if is_slug_shaped(id_or_slug):
            ref = self._client.collection(ORG_SLUGS).document(claim_id(username_key(id_or_slug)))
            claim = read_document(self._client, ref)
            org_id = claim.get("org_id") if claim is not None else None
        if not isinstance(org_id, str) or not is_id(org_id) or not is_id(user_id):
            return None
        org, member = read_documents(self._client, member_paths(org_id, user_id))
        found = active_org_from_docs(org_id, org, member)
        if found is None or (is_slug_shaped(id_or_slug) and found.slug != id_or_slug):
            return None  # a look-alike of the slug names no org
        return found

    def orgs_of(self, user_id: str, limit: int) -> list[ActiveOrg]:
        # The org repository's query of the person's memberships (its index is there).
        found = FirestoreOrgRepository(self._client).memberships_of(user_id, limit)
        return [active_org(org, membership) for org, membership in found]
