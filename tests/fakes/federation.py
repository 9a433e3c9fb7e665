"""Fakes of the federation's ports: linked identities, Firebase's ID tokens and custom
tokens, the upstream providers."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from application.ports import ExternalIdentity
from domain.accounts.identities import IdentityLink, PendingLink
from domain.accounts.users import User
from domain.errors import Conflict, DomainError, NotFound, Unauthenticated, Unavailable
from domain.federation.upstream import UpstreamProvider
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.kernel import InMemoryStore


class FakeIdentityRepository:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def _live(self, user_id: str | None) -> User | None:
        user = self.store.users.get(user_id or "")
        return user if user is not None and user.deleted_at is None else None

    def _store_link(
        self, key: str, user_id: str, email: str | None, at: datetime, made_unproven: bool = False
    ) -> None:
        self.store.identities[key] = user_id
        self.store.identity_details[key] = (email, at, made_unproven)

    def find_by_identity(self, provider: str, subject: str) -> User | None:
        return self._live(self.store.identities.get(f"{provider}:{subject}"))

    def add_with_identity(
        self, user: User, provider: str, subject: str, email: str | None = None
    ) -> User:
        key = f"{provider}:{subject}"
        with self.store.lock:
            linked = self._live(self.store.identities.get(key))
            if linked is not None:
                return linked  # linked first by a concurrent sign-in
            FakeUserRepository(self.store).add(user)  # Conflict when a claim is taken
            # replaces a link to a deleted account
            self._store_link(key, user.id, email, user.created_at, not user.email_verified)
            return user

    def link_existing(
        self,
        user_id: str,
        provider: str,
        subject: str,
        change: Callable[[User], User | None],
        email: str | None = None,
    ) -> User | None:
        key = f"{provider}:{subject}"
        with self.store.lock:
            linked = self._live(self.store.identities.get(key))
            if linked is not None:
                return linked  # linked first by a concurrent sign-in
            user = self._live(user_id)
            new = change(user) if user is not None else None
            if user is None or new is None:
                return None
            if (new.username, new.email) != (user.username, user.email):
                raise ValueError("a link leaves the names as they are")
            self.store.users[user_id] = new
            self._store_link(key, user_id, email, new.updated_at)
            return new

    def upgrade_with_identity(
        self,
        user_id: str,
        provider: str,
        subject: str,
        change: Callable[[User], User | None],
        email: str | None = None,
    ) -> User | None:
        key = f"{provider}:{subject}"
        with self.store.lock:
            linked = self._live(self.store.identities.get(key))
            if linked is not None:
                return linked  # linked first by a concurrent sign-in
            user = self._live(user_id)
            new = change(user) if user is not None else None
            if user is None or new is None:
                return None
            FakeUserRepository(self.store).update(user_id, lambda _: new)  # the new claims
            self._store_link(key, user_id, email, new.updated_at)
            return new

    def list_for(self, user_id: str) -> list[IdentityLink]:
        with self.store.lock:
            links = []
            for key, owner in self.store.identities.items():
                if owner != user_id:
                    continue
                provider, _, subject = key.partition(":")
                email, at, made = self.store.identity_details.get(key, (None, datetime.min, False))
                links.append(
                    IdentityLink(provider, subject, owner, email, at.replace(tzinfo=UTC), made)
                )
        return sorted(links, key=lambda link: (link.linked_at, link.provider, link.subject))

    def unlink(
        self,
        user_id: str,
        decide: Callable[[User, list[IdentityLink]], list[IdentityLink]],
        now: datetime,
    ) -> list[IdentityLink]:
        with self.store.lock:
            user = self._live(user_id)
            if user is None:
                raise NotFound("This account does not exist.", code="user_not_found")
            going = decide(user, self.list_for(user_id))
            for link in going:
                self.store.identities.pop(f"{link.provider}:{link.subject}", None)
            self.store.users[user_id] = replace(user, updated_at=now)
            return going

    def hold(self, key: str, pending: PendingLink) -> None:
        with self.store.lock:
            self.store.pending_links[key] = pending

    def pending(self, key: str) -> PendingLink | None:
        return self.store.pending_links.get(key)

    def take(self, key: str) -> PendingLink | None:
        with self.store.lock:
            return self.store.pending_links.pop(key, None)

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.store.lock:
            for key in [k for k, owner in self.store.identities.items() if owner == user_id]:
                del self.store.identities[key]


class FakeIdentityVerifier:
    """Firebase under the test's control: ``issue`` mints a token, ``refuse`` makes one fail."""

    def __init__(self) -> None:
        self.tokens: dict[str, ExternalIdentity | DomainError] = {}

    def issue(
        self,
        subject: str,
        *,
        email: str | None = None,
        email_verified: bool = True,
        display_name: str | None = None,
        anonymous: bool = False,
    ) -> str:
        token = f"id-token-{len(self.tokens)}-{subject}"
        self.tokens[token] = ExternalIdentity(
            provider="firebase",
            subject=subject,
            email=email,
            email_verified=email_verified,
            display_name=display_name,
            preferred_username=display_name,  # as the Firebase adapter makes it
            anonymous=anonymous,
        )
        return token

    def refuse(self, token: str, error: DomainError) -> None:
        self.tokens[token] = error

    def verify(self, id_token: str) -> ExternalIdentity:
        found = self.tokens.get(id_token)
        if found is None:
            raise Unauthenticated("The Firebase ID token is not valid.", code="invalid_id_token")
        if isinstance(found, DomainError):
            raise found
        return found


# What firebase-admin puts in a custom token (firebase_admin/_token_gen.py).
CUSTOM_TOKEN_AUDIENCE = (
    "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit"
)


EMULATOR_SIGNER = "firebase-auth-emulator@example.com"


def _segment(value: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


# The names firebase-admin refuses as a custom token's developer claims: its ID tokens' own
FIREBASE_RESERVED = frozenset(
    {"acr", "amr", "at_hash", "aud", "auth_time", "azp", "cnf", "c_hash", "exp", "firebase"}
    | {"iat", "iss", "jti", "nbf", "nonce", "sub"}
)


class FakeCustomTokens:
    """Custom tokens as firebase-admin mints them on the Auth emulator (unsigned, ``alg:
    none``), so the emulator accepts them too (tests/contract/test_custom_token_minter.py);
    ``fail_with`` makes the next mints fail."""

    def __init__(self) -> None:
        self.minted: list[tuple[str, dict[str, object]]] = []
        self.error: DomainError | None = None

    def fail_with(self, error: DomainError | None) -> None:
        self.error = error

    def mint(self, uid: str, claims: Mapping[str, object]) -> str:
        if self.error is not None:
            raise self.error
        if FIREBASE_RESERVED & set(claims):  # as firebase-admin's ValueError is answered
            raise Unavailable("Firebase custom tokens cannot be made right now; try again shortly.")
        self.minted.append((uid, dict(claims)))
        now = int(time.time())
        payload = {
            "iss": EMULATOR_SIGNER,
            "sub": EMULATOR_SIGNER,
            "aud": CUSTOM_TOKEN_AUDIENCE,
            "uid": uid,
            "iat": now,
            "exp": now + 3600,
            "claims": dict(claims),
        }
        return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(payload)}."


class FakeUpstreamProviders:
    def __init__(self) -> None:
        self.providers: dict[str, UpstreamProvider] = {}
        self.lock = threading.Lock()

    def add(self, provider: UpstreamProvider) -> None:
        with self.lock:
            if provider.id in self.providers:
                raise Conflict("A provider has this id.", code="provider_exists", field="id")
            self.providers[provider.id] = provider

    def get(self, provider_id: str) -> UpstreamProvider | None:
        return self.providers.get(provider_id)

    def list_all(self) -> list[UpstreamProvider]:
        return [self.providers[key] for key in sorted(self.providers)]

    def delete(self, provider_id: str) -> bool:
        with self.lock:
            return self.providers.pop(provider_id, None) is not None
