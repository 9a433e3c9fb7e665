"""The principals every request reads: the account and the session (or the personal access
token) an access token names, the account's authenticator when asked for, and for a request
acting in an org the person's membership of it, in one batch read (one round trip,
docs/decisions/0151-batch-reads-over-rest.md). Each part is parsed by the capability that
owns its documents; the orgs' part is handed in (``MembershipPart``), as the composition
hands accounts what the other capabilities own per user (``OwnedData``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from domain.accounts.users import User
from domain.signin.active_org import ActiveOrg
from domain.signin.mfa import TotpFactor
from domain.signin.personal_tokens import PersonalToken
from domain.signin.sessions import Session
from infrastructure.firestore.accounts.users import SESSIONS, USERS, user_from_doc
from infrastructure.firestore.client import read_documents
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import firestore
from infrastructure.firestore.signin.mfa import FACTORS, factor_from_doc
from infrastructure.firestore.signin.personal_tokens import PERSONAL_TOKENS, token_from_doc
from infrastructure.firestore.signin.sessions import session_from_doc


class MembershipPart(Protocol):
    """The orgs' part of the read: an org's document and a person's membership of it
    (infrastructure/firestore/orgs/membership_reads.py fits it)."""

    def paths(self, org_id: str, user_id: str) -> list[str]:
        """The documents to read with the account, in the order ``parse`` takes them."""
        ...

    def parse(self, org_id: str, found: Sequence[dict[str, Any] | None]) -> ActiveOrg | None:
        """The person's active org as the documents of ``paths`` stand (None where one does
        not exist); None unless the org is live and they are its member."""
        ...


@translates_errors
class FirestorePrincipals:
    def __init__(self, client: firestore.Client, *, orgs: MembershipPart) -> None:
        self._client = client
        self._orgs = orgs  # orgs' part of the read, for a request acting in an org

    def load(self, user_id: str, session_id: str) -> tuple[User | None, Session | None]:
        user, session, _, _ = self._load(user_id, session_id, factor=False)
        return user, session

    def load_with_factor(
        self, user_id: str, session_id: str
    ) -> tuple[User | None, Session | None, TotpFactor | None]:
        user, session, factor, _ = self._load(user_id, session_id, factor=True)
        return user, session, factor

    def load_personal(
        self, user_id: str, token_id: str
    ) -> tuple[User | None, PersonalToken | None]:
        paths = [f"{USERS}/{user_id}", f"{PERSONAL_TOKENS}/{token_id}"]
        user_data, token_data = read_documents(self._client, paths)
        user = user_from_doc(user_id, user_data) if user_data is not None else None
        token = token_from_doc(token_id, token_data) if token_data is not None else None
        return user, token

    def load_personal_in_org(
        self, user_id: str, token_id: str, org_id: str
    ) -> tuple[User | None, PersonalToken | None, ActiveOrg | None]:
        paths = [
            f"{USERS}/{user_id}",
            f"{PERSONAL_TOKENS}/{token_id}",
            *self._orgs.paths(org_id, user_id),  # in the same round trip
        ]
        found = read_documents(self._client, paths)
        user_data, token_data = found[0], found[1]
        user = user_from_doc(user_id, user_data) if user_data is not None else None
        token = token_from_doc(token_id, token_data) if token_data is not None else None
        return user, token, self._orgs.parse(org_id, found[2:])

    def load_in_org(
        self, user_id: str, session_id: str, org_id: str, *, factor: bool
    ) -> tuple[User | None, Session | None, TotpFactor | None, ActiveOrg | None]:
        return self._load(user_id, session_id, factor=factor, org_id=org_id)

    def _load(
        self, user_id: str, session_id: str, *, factor: bool, org_id: str | None = None
    ) -> tuple[User | None, Session | None, TotpFactor | None, ActiveOrg | None]:
        # By their paths: the client library is not needed to name them
        # (docs/decisions/0432-the-cloud-sdk-on-first-use.md).
        paths = [f"{USERS}/{user_id}", f"{SESSIONS}/{session_id}"]
        if factor:
            paths.append(f"{FACTORS}/{user_id}")
        own = len(paths)
        if org_id is not None:  # the org and the membership, in the same round trip
            paths += self._orgs.paths(org_id, user_id)
        found = read_documents(self._client, paths)
        user_data, session_data = found[0], found[1]
        user = user_from_doc(user_id, user_data) if user_data is not None else None
        session = session_from_doc(session_id, session_data) if session_data is not None else None
        factor_data = found[2] if factor else None
        org = self._orgs.parse(org_id, found[own:]) if org_id is not None else None
        stored = factor_from_doc(factor_data) if factor_data is not None else None
        return user, session, stored, org
