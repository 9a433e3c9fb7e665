"""Stamps each verified domain's claim with what it reads like (``look_alike``), for claims
made before they held it, drops the older look-alike claims (``verified_domain_look_alikes``,
which refused another org's look-alike), and lists the verified domains of different orgs
that read alike, which both orgs are told of (docs/decisions/0493-one-address-one-account.md,
docs/decisions/0641-look-alike-domains-are-named-never-refused.md). Idempotent: run with the
claims' rekey (``scripts/rekey_claims.py``) after deploying."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.orgs.domains import domain_look_alike
from infrastructure.firestore.client import BOUNDED
from infrastructure.firestore.orgs.domains import VERIFIED_DOMAINS
from infrastructure.firestore.sdk import firestore

OLD_LOOK_ALIKES = "verified_domain_look_alikes"


@dataclass
class LookAlikeReport:
    stamped: int = 0  # claims given their ``look_alike``
    dropped: int = 0  # older look-alike claims deleted
    # (domain, its org, a look-alike domain, that one's org): both verified, by two orgs
    look_alikes: list[tuple[str, str, str, str]] = field(default_factory=list)


def claim_look_alikes(client: firestore.Client) -> LookAlikeReport:
    report = LookAlikeReport()
    by_key: dict[str, list[tuple[str, str]]] = {}
    for snap in client.collection(VERIFIED_DOMAINS).order_by("__name__").stream(**BOUNDED):
        data = snap.to_dict() or {}
        key = domain_look_alike(snap.id)
        if data.get("look_alike") != key:
            snap.reference.update({"look_alike": key}, **BOUNDED)
            report.stamped += 1
        org_id = str(data.get("org_id") or "")
        for other, holder in by_key.get(key, []):
            if holder != org_id:
                report.look_alikes.append((snap.id, org_id, other, holder))
        by_key.setdefault(key, []).append((snap.id, org_id))
    for old in client.collection(OLD_LOOK_ALIKES).stream(**BOUNDED):
        old.reference.delete(**BOUNDED)
        report.dropped += 1
    return report
