"""Fakes of the OpenID provider's ports: grants (codes, consents, revoked tokens, DPoP
proofs), device authorizations and the grants' holders; the clients' are tests/fakes/clients.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from application.ports import NO_WRITES, StagedWrites
from application.provider.ports import GrantRead
from domain.accounts.users import User
from domain.provider.device_flow import Decision as DeviceDecision
from domain.provider.device_flow import DeviceAuthorization
from domain.provider.device_flow import Poll as DevicePoll
from domain.provider.dpop import InvalidProof, SpentProof
from domain.provider.grants import AuthorizationCode, CodeSpending, Consent, Grant, Rotation
from domain.provider.pushed import PushedRequest
from tests.fakes.kernel import InMemoryStore


class FakeOAuthGrants:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.lock = threading.Lock()
        self.store = store or InMemoryStore()  # where the staged events go
        self.codes: dict[str, AuthorizationCode] = {}
        self.grants: dict[str, Grant] = {}
        self.uses_noted = 0  # writes of a grant's last use
        self.consents: dict[tuple[str, str], Consent] = {}
        self.revoked_tokens: dict[str, datetime] = {}
        self.spent_proofs: dict[str, datetime] = {}

    def add_code(self, code: AuthorizationCode) -> None:
        with self.lock:
            self.codes[code.hash] = code

    def get_code(self, code_hash: str) -> AuthorizationCode | None:
        return self.codes.get(code_hash)

    def spend_code(
        self,
        code_hash: str,
        spend: Callable[[AuthorizationCode], CodeSpending],
        staged: StagedWrites = NO_WRITES,
        read: AuthorizationCode | None = None,
    ) -> CodeSpending | None:
        with self.lock:
            code = self.codes.get(code_hash)
            if code is None:
                return None
            spending = spend(code)  # as stored now (``read`` spares Firestore a read)
            if spending.revokes is not None:
                grant = self.grants.get(spending.revokes)
                if grant is not None:
                    self.grants[grant.id] = replace(grant, revoked=True)
            elif spending.reserved is not None:
                self.codes[code_hash] = spending.code
                self.grants[spending.reserved.id] = spending.reserved
                self.store.commit_staged(staged)  # one commit with the code, as in Firestore
            return spending

    def rotate(
        self,
        grant_id: str,
        rotate: Callable[[Grant], Rotation],
        spent_proof: SpentProof | None = None,
        read: GrantRead | None = None,
    ) -> Rotation | None:
        with self.lock:
            grant = self.grants.get(grant_id)
            if grant is None:
                return None
            if read is not None and read.version == grant:  # still that version: built from it
                grant = read.grant
            rotation = rotate(grant)
            if rotation.outcome == "rotated" and spent_proof is not None:
                if spent_proof.key in self.spent_proofs:  # one commit: nothing is stored
                    raise InvalidProof("The DPoP proof was already used.")
                self.spent_proofs[spent_proof.key] = spent_proof.expires_at
            if rotation.outcome != "invalid":
                self.grants[grant_id] = rotation.grant
            return rotation

    def spend_proof(self, proof: SpentProof) -> bool:
        with self.lock:
            if proof.key in self.spent_proofs:
                return False
            self.spent_proofs[proof.key] = proof.expires_at
            return True

    def add_asserted(self, grant: Grant, spent: SpentProof) -> bool:
        with self.lock:
            if spent.key in self.spent_proofs or grant.id in self.grants:
                return False
            self.spent_proofs[spent.key] = spent.expires_at
            self.grants[grant.id] = grant
            return True

    def get(self, grant_id: str) -> Grant | None:
        return self.grants.get(grant_id)

    def revoke(self, grant_id: str) -> bool:
        with self.lock:
            grant = self.grants.get(grant_id)
            if grant is None or grant.revoked:
                return False
            self.grants[grant_id] = replace(grant, revoked=True)
            return True

    def note_use(self, grant_id: str, at: datetime) -> None:
        with self.lock:
            grant = self.grants.get(grant_id)
            if grant is not None:
                self.grants[grant_id] = replace(grant, last_used_at=at)
                self.uses_noted += 1

    def revoke_token(self, jti: str, client_id: str, expires_at: datetime) -> None:
        with self.lock:
            self.revoked_tokens[jti] = expires_at

    def token_revoked(self, jti: str) -> bool:
        return jti in self.revoked_tokens

    def list_for_user(self, user_id: str, limit: int) -> list[Grant]:
        found = [g for g in self.grants.values() if g.user_id == user_id]
        return sorted(found, key=lambda g: g.created_at, reverse=True)[:limit]

    def get_consent(self, user_id: str, client_id: str) -> Consent | None:
        return self.consents.get((user_id, client_id))

    def put_consent(self, consent: Consent) -> None:
        self.consents[(consent.user_id, consent.client_id)] = consent

    def delete_consent(self, user_id: str, client_id: str) -> None:
        self.consents.pop((user_id, client_id), None)

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            self.grants = {k: g for k, g in self.grants.items() if g.user_id != user_id}
            self.codes = {k: c for k, c in self.codes.items() if c.user_id != user_id}
            self.consents = {k: c for k, c in self.consents.items() if k[0] != user_id}


class FakeDeviceAuthorizations:
    """Device authorization requests beside the grants they make (one lock, one dict of
    grants), as in Firestore."""

    def __init__(self, grants: FakeOAuthGrants) -> None:
        self.grants = grants
        self.requests: dict[str, DeviceAuthorization] = {}

    def add(self, request: DeviceAuthorization) -> bool:
        with self.grants.lock:
            if request.key in self.requests:
                return False
            self.requests[request.key] = request
            return True

    def get(self, key: str) -> DeviceAuthorization | None:
        return self.requests.get(key)

    def decide(
        self, key: str, decide: Callable[[DeviceAuthorization], DeviceDecision]
    ) -> DeviceDecision | None:
        with self.grants.lock:
            request = self.requests.get(key)
            if request is None:
                return None
            decision = decide(request)
            if decision.outcome == "decided":
                self.requests[key] = decision.request
            return decision

    def slow_down(self, key: str, interval: int) -> None:
        with self.grants.lock:
            request = self.requests.get(key)
            if request is not None:
                self.requests[key] = replace(request, interval=interval)

    def spend(
        self,
        key: str,
        poll: Callable[[DeviceAuthorization], DevicePoll],
        grant: Callable[[DeviceAuthorization], Grant],
        staged: StagedWrites = NO_WRITES,
        read: DeviceAuthorization | None = None,
    ) -> DevicePoll | None:
        with self.grants.lock:
            request = self.requests.get(key)
            if request is None:
                return None
            polled = poll(request)  # as stored now (``read`` spares Firestore a read)
            if polled.outcome == "issue":
                made = grant(polled.request)
                self.requests[key] = polled.request
                self.grants.grants[made.id] = made
                self.grants.store.commit_staged(staged)
            return polled


class FakePushedRequests:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[str, PushedRequest] = {}

    def spend(self, request: PushedRequest) -> bool:
        with self.lock:
            if request.key in self.requests:
                return False
            self.requests[request.key] = request
            return True

    def get(self, key: str) -> PushedRequest | None:
        return self.requests.get(key)


class FakeGrantHolders:
    def __init__(self, grants: FakeOAuthGrants, store: InMemoryStore) -> None:
        self.grants, self.store = grants, store

    def load(self, grant_id: str, user_id: str) -> tuple[Grant | None, User | None]:
        return self.grants.grants.get(grant_id), self.store.users.get(user_id)

    def load_versioned(self, grant_id: str, user_id: str) -> tuple[GrantRead | None, User | None]:
        grant, user = self.load(grant_id, user_id)  # a grant's version: the grant itself
        return (GrantRead(grant, grant) if grant is not None else None), user

    def load_code(
        self, code_hash: str, user_id: str
    ) -> tuple[AuthorizationCode | None, User | None]:
        return self.grants.codes.get(code_hash), self.store.users.get(user_id)

    def load_revocable(
        self, grant_id: str, user_id: str, jti: str
    ) -> tuple[Grant | None, User | None, bool]:
        grant, user = self.load(grant_id, user_id)
        return grant, user, self.grants.token_revoked(jti)

    def load_chain(
        self, grant_id: str, user_id: str, jti: str, agent_grants: tuple[str, ...]
    ) -> tuple[Grant | None, User | None, bool, tuple[Grant | None, ...]]:
        agents = tuple(self.grants.grants.get(agent) for agent in agent_grants)
        return (*self.load_revocable(grant_id, user_id, jti), agents)
