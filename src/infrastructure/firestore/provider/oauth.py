"""OAuth codes, grants and consents in Firestore (docs/reference/oauth.md); the clients are
infrastructure/firestore/clients/oauth.py's.

``oauth_codes/{sha256 of the code}``;
``oauth_grants/{grant_id}`` (the current refresh token's hash); ``oauth_consents/{user}:{client}``
(a client_id with "/", a metadata document's URL, by its SHA-256);
``oauth_revoked_tokens/{jti}``, a client's own access token revoked (until its ``expires_at``);
``oauth_dpop_proofs/{sha256 of key and jti}``, a DPoP proof used (until its ``expires_at``).
Spending a code and rotating a refresh token are the domain's transitions
(``AuthorizationCode.spend``, ``Grant.rotated``): this adapter reads, applies the one it is
given and stores what it gives. A code is spent in one commit with its grant, created there
(issued, with its ``oauth.granted`` event, for an exchange that passed every check), the
grant's creation the compare-and-set (no transaction: thirty parallel exchanges holding a
transaction's locks on one document time out on the emulator), so of any number of parallel
exchanges exactly one wins and the others read the code spent. A refresh token rotates, and a
grant is revoked, under the grant's update time.
A grant and its account are read in one batchGet where both ids are known (with, for an
access token from an exchange, whether it was revoked by itself, and the person's grant to
each agent of its ``act`` chain).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

from application.ports import NO_WRITES, StagedWrites
from application.provider.ports import GrantRead
from domain.accounts.users import User
from domain.provider.dpop import InvalidProof, SpentProof
from domain.provider.grants import AuthorizationCode, CodeSpending, Consent, Grant, Rotation
from infrastructure.firestore.accounts.users import USERS, user_from_doc
from infrastructure.firestore.client import (
    BOUNDED,
    commit,
    delete_in_batches,
    document_id,
    read_document,
    read_documents,
    read_versioned,
    read_versioned_documents,
    run_query,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.security_events import staged_documents
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Exists, Missing, Select, Stale, Write
from infrastructure.firestore.sdk import firestore

OAUTH_CODES = "oauth_codes"
OAUTH_GRANTS = "oauth_grants"
OAUTH_CONSENTS = "oauth_consents"
OAUTH_REVOKED_TOKENS = "oauth_revoked_tokens"
OAUTH_DPOP_PROOFS = "oauth_dpop_proofs"
PROOF_REPLAYED = "The DPoP proof was already used."


def code_to_doc(code: AuthorizationCode) -> dict[str, Any]:
    return {
        "client_id": code.client_id,
        "user_id": code.user_id,
        "grant_id": code.grant_id,
        "redirect_uri": code.redirect_uri,
        "scope": code.scope,
        "code_challenge": code.code_challenge,
        "code_challenge_method": code.code_challenge_method,
        "created_at": code.created_at,
        "auth_time": code.auth_time,
        "nonce": code.nonce,
        "resource": code.resource,
        "amr": list(code.amr),
        "spent": code.spent,
        "dpop_jkt": code.dpop_jkt,
        "expires_at": code.expires_at,  # a TTL policy on it removes old codes
        **({"org_id": code.org_id} if code.org_id is not None else {}),
        **({"sid": code.sid} if code.sid is not None else {}),
        **({"id_token_claims": list(code.id_token_claims)} if code.id_token_claims else {}),
        **({"userinfo_claims": list(code.userinfo_claims)} if code.userinfo_claims else {}),
        **_acting(code.acting_admin_id, code.acting_until),
    }


def _acting(admin_id: str | None, until: datetime | None) -> dict[str, Any]:
    """Support access's fields of a code or a grant: only where an admin acts."""
    if admin_id is None:
        return {}
    return {"acting_admin_id": admin_id, "acting_until": until}


def code_from_doc(hashed: str, data: dict[str, Any]) -> AuthorizationCode:
    return AuthorizationCode(
        hash=hashed,
        client_id=data["client_id"],
        user_id=data["user_id"],
        grant_id=data["grant_id"],
        redirect_uri=data["redirect_uri"],
        scope=data["scope"],
        code_challenge=data["code_challenge"],
        code_challenge_method=data["code_challenge_method"],
        created_at=data["created_at"],
        auth_time=data["auth_time"],
        nonce=data.get("nonce"),
        resource=data.get("resource"),
        amr=tuple(data.get("amr", ())),
        spent=data.get("spent", False),
        dpop_jkt=data.get("dpop_jkt"),
        org_id=data.get("org_id"),
        sid=data.get("sid"),
        id_token_claims=tuple(data.get("id_token_claims", ())),
        userinfo_claims=tuple(data.get("userinfo_claims", ())),
        acting_admin_id=data.get("acting_admin_id"),
        acting_until=data.get("acting_until"),
    )


def grant_to_doc(grant: Grant) -> dict[str, Any]:
    return {
        "user_id": grant.user_id,
        "client_id": grant.client_id,
        "scope": grant.scope,
        "created_at": grant.created_at,
        "token_version": grant.token_version,
        "refresh_hash": grant.refresh_hash,
        "refresh_expires_at": grant.refresh_expires_at,
        "issued": grant.issued,
        "revoked": grant.revoked,
        "resource": grant.resource,
        "dpop_jkt": grant.dpop_jkt,
        **({"org_id": grant.org_id} if grant.org_id is not None else {}),
        **({"userinfo_claims": list(grant.userinfo_claims)} if grant.userinfo_claims else {}),
        **({"sid": grant.sid} if grant.sid is not None else {}),
        **({"last_used_at": grant.last_used_at} if grant.last_used_at is not None else {}),
        **_acting(grant.acting_admin_id, grant.acting_until),
        **({"auth_time": grant.auth_time} if grant.auth_time is not None else {}),
        **({"amr": list(grant.amr)} if grant.amr else {}),
    }


def grant_from_doc(grant_id: str, data: dict[str, Any]) -> Grant:
    return Grant(
        id=grant_id,
        user_id=data["user_id"],
        client_id=data["client_id"],
        scope=data["scope"],
        created_at=data["created_at"],
        token_version=data["token_version"],
        refresh_hash=data.get("refresh_hash"),
        refresh_expires_at=data.get("refresh_expires_at"),
        issued=data.get("issued", False),
        revoked=data.get("revoked", False),
        resource=data.get("resource"),
        dpop_jkt=data.get("dpop_jkt"),
        org_id=data.get("org_id"),
        userinfo_claims=tuple(data.get("userinfo_claims", ())),
        sid=data.get("sid"),
        last_used_at=data.get("last_used_at"),
        acting_admin_id=data.get("acting_admin_id"),
        acting_until=data.get("acting_until"),
        auth_time=data.get("auth_time"),  # none on a grant stored before it was kept
        amr=tuple(data.get("amr", ())),
    )


@translates_errors
class FirestoreOAuthGrants:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._codes = client.collection(OAUTH_CODES)
        self._grants = client.collection(OAUTH_GRANTS)
        self._consents = client.collection(OAUTH_CONSENTS)
        self._revoked_tokens = client.collection(OAUTH_REVOKED_TOKENS)

    def add_code(self, code: AuthorizationCode) -> None:
        self._codes.document(code.hash).create(code_to_doc(code), **BOUNDED)

    def get_code(self, code_hash: str) -> AuthorizationCode | None:
        if not _document_id(code_hash):
            return None
        data = read_document(self._client, f"{OAUTH_CODES}/{code_hash}")
        return code_from_doc(code_hash, data) if data is not None else None

    def spend_code(
        self,
        code_hash: str,
        spend: Callable[[AuthorizationCode], CodeSpending],
        staged: StagedWrites = NO_WRITES,
        read: AuthorizationCode | None = None,
    ) -> CodeSpending | None:
        known = read

        def attempt() -> CodeSpending | None:
            nonlocal known
            code, known = known or self.get_code(code_hash), None
            if code is None:
                return None
            spending = spend(code)
            if spending.revokes is not None:
                self._grants.document(spending.revokes).set(
                    {"revoked": True}, merge=True, **BOUNDED
                )
            elif spending.reserved is not None:
                # The grant's creation is the compare-and-set: it is made in the commit that
                # spends its code, so it exists exactly when the code is spent, and of any
                # number of exchanges only one creates it; the others read the code again.
                grant = spending.reserved
                writes = [
                    Write(f"{OAUTH_CODES}/{code_hash}", {"spent": True}),
                    Write(f"{OAUTH_GRANTS}/{grant.id}", grant_to_doc(grant), create=True),
                    *(Write(path, doc, create=True) for path, doc in staged_documents(staged)),
                ]
                try:
                    self._commit(writes)
                except (Exists, Missing):
                    raise Stale from None  # spent (or gone) meanwhile: read again
            return spending

        return until_unchanged(attempt)

    def rotate(
        self,
        grant_id: str,
        rotate: Callable[[Grant], Rotation],
        spent_proof: SpentProof | None = None,
        read: GrantRead | None = None,
    ) -> Rotation | None:
        # Over REST, read with its update time and written under it, as a session's refresh
        # is (docs/decisions/0254-a-code-exchange-in-one-commit.md); through the client
        # library where REST cannot be used. The first attempt is built from ``read`` when
        # given (the refresh grant's read of it with its account): one read a rotation
        # (docs/decisions/0435-a-rotation-written-under-the-read-that-checked-it.md).
        path = f"{OAUTH_GRANTS}/{grant_id}"
        known = (
            (read.grant, read.version)
            if read is not None and isinstance(read.version, datetime)
            else None
        )

        def attempt() -> Rotation | None:
            nonlocal known
            if known is not None:
                (grant, version), known = known, None
            else:
                found = self._read_versioned(grant_id)
                if found is None:
                    return None
                data, version = found
                grant = grant_from_doc(grant_id, data)
            rotation = rotate(grant)
            if rotation.outcome == "reused":
                self._write(path, {"revoked": True}, version)
            elif rotation.outcome == "rotated":
                changed = {
                    "refresh_hash": rotation.grant.refresh_hash,
                    "refresh_expires_at": rotation.grant.refresh_expires_at,
                    "last_used_at": rotation.grant.last_used_at,
                }
                proof = _proof_write(spent_proof) if spent_proof is not None else None
                try:  # the proof is spent in the rotation's commit: no round trip of its own
                    self._write(path, changed, version, proof)
                except Exists:
                    raise InvalidProof(PROOF_REPLAYED) from None
            return rotation

        return until_unchanged(attempt)

    def _read_versioned(self, grant_id: str) -> tuple[dict[str, Any], datetime] | None:
        return read_versioned(self._client, f"{OAUTH_GRANTS}/{grant_id}")

    def _write(
        self, path: str, fields: dict[str, Any], version: datetime, also: Write | None = None
    ) -> None:
        changed = Write(path, fields, unchanged_since=version)
        self._commit([changed, also] if also is not None else [changed])

    def spend_proof(self, proof: SpentProof) -> bool:
        try:
            self._commit([_proof_write(proof)])
        except Exists:
            return False
        return True

    def add_asserted(self, grant: Grant, spent: SpentProof) -> bool:
        created = Write(f"{OAUTH_GRANTS}/{grant.id}", grant_to_doc(grant), create=True)
        try:
            self._commit([_proof_write(spent), created])
        except Exists:
            return False
        return True

    def _commit(self, writes: list[Write]) -> None:
        commit(self._client, writes)

    def get(self, grant_id: str) -> Grant | None:
        if not document_id(grant_id) or len(grant_id.encode()) > 200:
            return None
        data = read_document(self._client, f"{OAUTH_GRANTS}/{grant_id}")
        if data is None or "user_id" not in data:
            return None
        return grant_from_doc(grant_id, data)

    def revoke(self, grant_id: str) -> bool:
        ref = self._grants.document(grant_id)

        def attempt() -> bool:
            snap = ref.get(**BOUNDED)
            if not snap.exists or (snap.to_dict() or {}).get("revoked"):
                return False
            ref.update({"revoked": True}, option=unchanged_since(snap), **BOUNDED)
            return True

        return until_unchanged(attempt)

    def note_use(self, grant_id: str, at: datetime) -> None:
        # One field, no precondition: two notes of one hour race harmlessly; a grant deleted
        # meanwhile (its account's) is left gone.
        with suppress(Missing):
            self._commit([Write(f"{OAUTH_GRANTS}/{grant_id}", {"last_used_at": at})])

    def revoke_token(self, jti: str, client_id: str, expires_at: datetime) -> None:
        if _document_id(jti):
            self._revoked_tokens.document(jti).set(
                {"client_id": client_id, "expires_at": expires_at},  # a TTL policy on it
                **BOUNDED,
            )

    def token_revoked(self, jti: str) -> bool:
        if not _document_id(jti):
            return False
        return read_document(self._client, f"{OAUTH_REVOKED_TOKENS}/{jti}") is not None

    def list_for_user(self, user_id: str, limit: int) -> list[Grant]:
        query = Select(OAUTH_GRANTS, (("user_id", user_id),))
        found = [
            grant_from_doc(grant_id, data) for grant_id, data in run_query(self._client, query)
        ]
        return sorted(found, key=lambda g: g.created_at, reverse=True)[:limit]

    def _consent_ref(self, user_id: str, client_id: str) -> firestore.DocumentReference:
        # A metadata document's client_id is a URL, whose "/" no document ID may hold: its
        # SHA-256 stands for it there (the document keeps the client_id itself).
        key = (
            client_id if _document_id(client_id) else hashlib.sha256(client_id.encode()).hexdigest()
        )
        return self._consents.document(f"{user_id}:{key}")

    def get_consent(self, user_id: str, client_id: str) -> Consent | None:
        data = read_document(self._client, self._consent_ref(user_id, client_id))
        if data is None:
            return None
        resources = tuple(data.get("resources", ()))
        return Consent(user_id, client_id, tuple(data["scopes"]), data["at"], resources)

    def put_consent(self, consent: Consent) -> None:
        self._consent_ref(consent.user_id, consent.client_id).set(
            {
                "user_id": consent.user_id,
                "client_id": consent.client_id,
                "scopes": list(consent.scopes),
                "at": consent.at,
                "resources": list(consent.resources),
            },
            **BOUNDED,
        )

    def delete_consent(self, user_id: str, client_id: str) -> None:
        self._consent_ref(user_id, client_id).delete(**BOUNDED)

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        for collection in (self._grants, self._codes, self._consents):
            query = collection.where(filter=firestore.FieldFilter("user_id", "==", user_id))
            delete_in_batches(self._client, query, batch_size)


def _proof_write(proof: SpentProof) -> Write:
    """A used DPoP proof, created once (a TTL policy on ``expires_at`` removes it)."""
    return Write(f"{OAUTH_DPOP_PROOFS}/{proof.key}", {"expires_at": proof.expires_at}, create=True)


def _document_id(value: str) -> bool:
    return bool(value) and "/" not in value and len(value.encode()) <= 200


@translates_errors
class FirestoreGrantHolders:
    """A grant and an account in one batchGet: whether a token still holds
    (docs/decisions/0201-grant-and-account-read-together.md). The documents are named by
    their paths, not the client library's references, which cost about 10 µs each to build
    (docs/benchmarks.md, "Where a grant's time goes")."""

    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def load(self, grant_id: str, user_id: str) -> tuple[Grant | None, User | None]:
        if not _document_id(grant_id) or not _document_id(user_id):
            return None, None
        paths = [f"{OAUTH_GRANTS}/{grant_id}", f"{USERS}/{user_id}"]
        grant_data, user_data = read_documents(self._client, paths)
        grant = (
            grant_from_doc(grant_id, grant_data) if grant_data and "user_id" in grant_data else None
        )
        user = user_from_doc(user_id, user_data) if user_data is not None else None
        return grant, user

    def load_versioned(self, grant_id: str, user_id: str) -> tuple[GrantRead | None, User | None]:
        if not _document_id(grant_id) or not _document_id(user_id):
            return None, None
        paths = [f"{OAUTH_GRANTS}/{grant_id}", f"{USERS}/{user_id}"]
        grant_found, user_found = read_versioned_documents(self._client, paths)
        read = None
        if grant_found is not None and "user_id" in grant_found[0]:
            read = GrantRead(grant_from_doc(grant_id, grant_found[0]), grant_found[1])
        user = user_from_doc(user_id, user_found[0]) if user_found is not None else None
        return read, user

    def load_revocable(
        self, grant_id: str, user_id: str, jti: str
    ) -> tuple[Grant | None, User | None, bool]:
        if not _document_id(jti):
            return (*self.load(grant_id, user_id), False)
        if not _document_id(grant_id) or not _document_id(user_id):
            return None, None, False
        paths = [
            f"{OAUTH_GRANTS}/{grant_id}",
            f"{USERS}/{user_id}",
            f"{OAUTH_REVOKED_TOKENS}/{jti}",
        ]
        grant_data, user_data, revoked = read_documents(self._client, paths)
        grant = (
            grant_from_doc(grant_id, grant_data) if grant_data and "user_id" in grant_data else None
        )
        user = user_from_doc(user_id, user_data) if user_data is not None else None
        return grant, user, revoked is not None

    def load_chain(
        self, grant_id: str, user_id: str, jti: str, agent_grants: tuple[str, ...]
    ) -> tuple[Grant | None, User | None, bool, tuple[Grant | None, ...]]:
        readable = tuple(agent for agent in agent_grants if _document_id(agent))
        if not _document_id(jti) or not _document_id(grant_id) or not _document_id(user_id):
            return (*self.load_revocable(grant_id, user_id, jti), tuple(None for _ in agent_grants))
        head = [f"{OAUTH_GRANTS}/{grant_id}", f"{USERS}/{user_id}", f"{OAUTH_REVOKED_TOKENS}/{jti}"]
        paths = list(dict.fromkeys([*head, *(f"{OAUTH_GRANTS}/{a}" for a in readable)]))
        found = dict(zip(paths, read_documents(self._client, paths), strict=True))
        grant_data, user_data, revoked = (found[path] for path in head)
        grant = (
            grant_from_doc(grant_id, grant_data) if grant_data and "user_id" in grant_data else None
        )
        user = user_from_doc(user_id, user_data) if user_data is not None else None
        agents = tuple(
            grant_from_doc(agent, data) if data and "user_id" in data else None
            for agent in agent_grants
            for data in (found.get(f"{OAUTH_GRANTS}/{agent}"),)
        )
        return grant, user, revoked is not None, agents

    def load_code(
        self, code_hash: str, user_id: str
    ) -> tuple[AuthorizationCode | None, User | None]:
        if not _document_id(code_hash) or not _document_id(user_id):
            return None, None
        paths = [f"{OAUTH_CODES}/{code_hash}", f"{USERS}/{user_id}"]
        code_data, user_data = read_documents(self._client, paths)
        code = code_from_doc(code_hash, code_data) if code_data is not None else None
        user = user_from_doc(user_id, user_data) if user_data is not None else None
        return code, user
