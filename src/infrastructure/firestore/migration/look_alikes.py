"""Claims what each verified domain reads like, for domains verified before such claims were
made, and lists the verified domains of different orgs that read alike
(docs/decisions/0493-one-address-one-account.md). Idempotent: run with the claims' rekey
(``scripts/rekey_claims.py``) after deploying."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.orgs.domains import domain_look_alike
from infrastructure.firestore.client import BOUNDED, claim_id
from infrastructure.firestore.orgs.domains import LOOK_ALIKES, VERIFIED_DOMAINS
from infrastructure.firestore.sdk import exceptions, firestore


@dataclass
class LookAlikeReport:
    claimed: int = 0
    # (domain, its org, the look-alike claim's org): verified by two orgs before the rule;
    # the first to claim keeps the look-alike, the other org's stays verified. Worth a look.
    clashes: list[tuple[str, str, str]] = field(default_factory=list)


def claim_look_alikes(client: firestore.Client) -> LookAlikeReport:
    report = LookAlikeReport()
    looks = client.collection(LOOK_ALIKES)
    for snap in client.collection(VERIFIED_DOMAINS).order_by("__name__").stream(**BOUNDED):
        org_id = str((snap.to_dict() or {}).get("org_id") or "")
        ref = looks.document(claim_id(domain_look_alike(snap.id)))
        try:
            ref.create({"org_id": org_id, "domains": [snap.id]}, **BOUNDED)
            report.claimed += 1
            continue
        except exceptions.AlreadyExists:
            pass
        held = ref.get(**BOUNDED).to_dict() or {}
        if held.get("org_id") != org_id:
            report.clashes.append((snap.id, org_id, str(held.get("org_id") or "")))
        elif snap.id not in held.get("domains", ()):
            ref.update({"domains": firestore.ArrayUnion([snap.id])}, **BOUNDED)
    return report
