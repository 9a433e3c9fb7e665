"""The memberships' copies of their account's ``token_version`` (``TokenVersionCopies`` of
application/ports.py). firegate's rules library reads a membership alone, one document per
request, so each membership holds the version its account's Firebase custom tokens must
carry: a new one copies the account's, and every move of the account's (logout everywhere,
a password change or reset, disabling, deletion) reaches its memberships first
(docs/organizations.md, "Permissions in firestore.rules")."""

from __future__ import annotations

from contextlib import suppress

from infrastructure.firestore.client import BOUNDED
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.orgs.documents import TOKEN_VERSION
from infrastructure.firestore.orgs.membership_writes import MEMBERS
from infrastructure.firestore.sdk import exceptions, firestore

PER_COMMIT = 400  # memberships moved per commit (a commit takes at most 500 writes)


@translates_errors
class MembershipTokenVersions:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def hold(self, user_id: str, token_version: int) -> None:
        # Only ever raised (a maximum): of two moves racing, the later version stays.
        query = self._client.collection_group(MEMBERS).where(
            filter=firestore.FieldFilter("user_id", "==", user_id)
        )
        refs = [snap.reference for snap in query.select([]).stream(**BOUNDED)]
        for start in range(0, len(refs), PER_COMMIT):
            self._raise(refs[start : start + PER_COMMIT], token_version)

    def _raise(self, refs: list[firestore.DocumentReference], token_version: int) -> None:
        fields = {TOKEN_VERSION: firestore.Maximum(token_version)}
        batch = self._client.batch()
        for ref in refs:
            batch.update(ref, fields)
        try:
            batch.commit(**BOUNDED)
        except exceptions.NotFound:
            # A membership removed since the query: the others one by one, it skipped.
            for ref in refs:
                with suppress(exceptions.NotFound):
                    ref.update(fields, **BOUNDED)
