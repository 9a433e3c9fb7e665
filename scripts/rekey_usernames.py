"""Moves username claims to the current key rule; prints what it did.

    GOOGLE_CLOUD_PROJECT=... python scripts/rekey_usernames.py

Run with the service's credentials (or FIRESTORE_EMULATOR_HOST) after deploying a release
that changes how usernames are keyed, and once more when no older instance runs. Accounts
listed as collisions keep their username but sign in by e-mail until they choose another;
see docs/decisions/0052-look-alike-usernames.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from infrastructure.firestore.accounts.username_keys import rekey_username_claims
from infrastructure.firestore.client import make_client


def main() -> int:
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        print("GOOGLE_CLOUD_PROJECT is required", file=sys.stderr)
        return 2
    report = rekey_username_claims(make_client(project))
    print(f"moved {report.moved}, unchanged {report.unchanged}")
    for user_id, username, holder in report.collisions:
        print(f"collision: user {user_id} ({username!r}) looks like the name of user {holder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
