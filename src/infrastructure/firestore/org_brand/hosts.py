"""The orgs' sign-in hosts: each org's in ``org_sign_in_domains/{org_id}`` and its claim,
keyed by the host, in ``org_sign_in_hosts/{host}`` ``{"org_id", "active"}``
(application/org_brand/hosts.py, docs/reference/org-sign-in-domain.md).

Setting a host is one commit that creates its claim and sets the org's document, guarded by
that document's update time as read (``optimistic.py``): of thirty orgs setting one host at
once, one commit creates the claim and the others fail on it (AlreadyExists), read again and
find it another org's (409 ``host_taken``). The claim's id is the host itself (a-z, 0-9, '-'
and '.'), so the request gate's question, which org an active host is, is one read by id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.org_brand.hosts import HostStatus, SignInHost, active_already, host_taken
from infrastructure.firestore.client import BOUNDED, read_document, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.names import storable_path
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

DOMAINS, HOSTS = "org_sign_in_domains", "org_sign_in_hosts"
if TYPE_CHECKING:
    Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


def host_to_doc(host: SignInHost) -> dict[str, Any]:
    return {
        "org_id": host.org_id,
        "host": host.host,
        "token": host.token,
        "status": host.status.value,
        "created_at": host.created_at,
        "created_by": host.created_by,
        "verified_at": host.verified_at,
        "checked_at": host.checked_at,
    }


def host_from_doc(data: dict[str, Any]) -> SignInHost:
    return SignInHost(
        org_id=data["org_id"],
        host=data["host"],
        token=data["token"],
        status=HostStatus(data["status"]),
        created_at=data["created_at"],
        created_by=data["created_by"],
        verified_at=data.get("verified_at"),
        checked_at=data.get("checked_at"),
    )


def _a_host_id(host: str) -> bool:
    """Whether ``host`` (a request's, anything) could be a claim's id at all."""
    return bool(host) and "/" not in host and storable_path(host)


@translates_errors
class FirestoreSignInHosts:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._domains = client.collection(DOMAINS)
        self._hosts = client.collection(HOSTS)

    def _snapshots(self, org_id: str, host: str) -> tuple[Snapshot, Snapshot]:
        """The org's document and ``host``'s claim, read in one round trip."""
        refs = [self._domains.document(org_id), self._hosts.document(host)]
        found = {snap.reference.path: snap for snap in self._client.get_all(refs, **BOUNDED)}
        return found[refs[0].path], found[refs[1].path]

    def get(self, org_id: str) -> SignInHost | None:
        if not _a_host_id(org_id):
            return None
        data = read_document(self._client, self._domains.document(org_id))
        return host_from_doc(data) if data is not None else None

    def put(self, host: SignInHost) -> SignInHost:
        def attempt() -> SignInHost:
            snap, claim = self._snapshots(host.org_id, host.host)
            holder = (claim.to_dict() or {}).get("org_id") if claim.exists else None
            if holder is not None and holder != host.org_id:
                raise host_taken()
            current = host_from_doc(snap.to_dict() or {}) if snap.exists else None
            if current is not None and current.host == host.host:
                return current
            if current is not None and current.active:
                raise active_already(current.host)
            batch = self._client.batch()
            if holder is None:
                claim_ref = self._hosts.document(host.host)
                batch.create(claim_ref, {"org_id": host.org_id, "active": False})
            if current is None:
                batch.create(self._domains.document(host.org_id), host_to_doc(host))
            else:
                batch.update(
                    self._domains.document(host.org_id),
                    host_to_doc(host),
                    option=unchanged_since(snap),
                )
                batch.delete(self._hosts.document(current.host))  # its pending name, released
            try:
                batch.commit(**BOUNDED)
            except (exceptions.AlreadyExists, exceptions.NotFound, exceptions.FailedPrecondition):
                raise Stale from None  # claimed or changed meanwhile: the next read says
            return host

        return until_unchanged(attempt)

    def delete(self, org_id: str) -> SignInHost | None:
        if not _a_host_id(org_id):
            return None

        def attempt() -> SignInHost | None:
            snap = self._domains.document(org_id).get(**BOUNDED)
            if not snap.exists:
                return None
            found = host_from_doc(snap.to_dict() or {})
            claim = self._hosts.document(found.host).get(**BOUNDED)
            batch = self._client.batch()
            batch.delete(self._domains.document(org_id), option=unchanged_since(snap))
            if claim.exists and (claim.to_dict() or {}).get("org_id") == org_id:
                batch.delete(self._hosts.document(found.host), option=unchanged_since(claim))
            try:
                batch.commit(**BOUNDED)
            except (exceptions.NotFound, exceptions.FailedPrecondition):
                raise Stale from None
            return found

        return until_unchanged(attempt)

    def save(self, host: SignInHost) -> SignInHost | None:
        def attempt() -> SignInHost | None:
            snap, claim = self._snapshots(host.org_id, host.host)
            if not snap.exists:
                return None
            current = host_from_doc(snap.to_dict() or {})
            if current.host != host.host or current.token != host.token:
                return None  # replaced meanwhile
            batch = self._client.batch()
            batch.update(
                self._domains.document(host.org_id), host_to_doc(host), option=unchanged_since(snap)
            )
            if claim.exists and (claim.to_dict() or {}).get("org_id") == host.org_id:
                batch.update(
                    self._hosts.document(host.host),
                    {"active": host.active},
                    option=unchanged_since(claim),
                )
            try:
                batch.commit(**BOUNDED)
            except (exceptions.NotFound, exceptions.FailedPrecondition):
                raise Stale from None
            return host

        return until_unchanged(attempt)

    def page(self, after: str | None, limit: int) -> list[SignInHost]:
        query = self._domains.order_by("org_id")
        if after is not None:
            query = query.start_after({"org_id": after})
        return [host_from_doc(data) for _, data in run_query(self._client, query.limit(limit))]
