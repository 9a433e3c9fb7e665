"""Moves username and address claims to the current key rules, stamps each verified
domain's claim with what it reads like, and prints what it did and what an operator should
look at.

    GOOGLE_CLOUD_PROJECT=... python scripts/rekey_claims.py

Run with the service's credentials (or FIRESTORE_EMULATOR_HOST) after deploying a release
that changes how usernames, addresses or domains are keyed, and once more when no older
instance runs. See docs/decisions/0052-look-alike-usernames.md and
docs/decisions/0493-one-address-one-account.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from infrastructure.firestore.accounts.claim_keys import rekey_claims
from infrastructure.firestore.client import make_client
from infrastructure.firestore.migration.look_alikes import claim_look_alikes


def main() -> int:
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        print("GOOGLE_CLOUD_PROJECT is required", file=sys.stderr)
        return 2
    client = make_client(project)
    report = rekey_claims(client)
    print(f"usernames: moved {report.moved}, unchanged {report.unchanged}")
    for user_id, username, holder in report.collisions:
        print(f"collision: user {user_id} ({username!r}) looks like the name of user {holder}")
    print(f"addresses: moved {report.addresses_moved}")
    for user_id, address, holder in report.address_collisions:
        print(f"collision: user {user_id} ({address!r}) has the address key of user {holder}")
    for user_id, address, onto, holder in report.look_alikes:
        held = f"held by user {holder}" if holder else "held by no account"
        print(f"look-alike: user {user_id} ({address!r}) folds onto {onto!r}, {held}")
    domains = claim_look_alikes(client)
    print(f"verified domains: stamped {domains.stamped}, older look-alike claims {domains.dropped}")
    for domain, org_id, other, holder in domains.look_alikes:
        print(f"look-alike domain: {domain!r} of org {org_id} reads like {other!r} of org {holder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
