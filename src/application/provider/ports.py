"""What the provider's use cases keep and read (docs/reference/oauth.md): its codes, grants
and consents, the read of a grant with its account, and the policy; its clients are
application/clients/ports.py's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from application.hooks.caller import KindCaller
from application.hooks.hooked import CredentialsClaimsHook
from application.ports import NO_WRITES, StagedWrites
from domain.accounts.users import User
from domain.hooks.credentials_exchange import CredentialsRequest
from domain.provider.dpop import Proof, ProofRequest, SpentProof
from domain.provider.grants import AuthorizationCode, CodeSpending, Consent, Grant, Rotation
from domain.provider.hook_kinds import CREDENTIALS_EXCHANGE
from domain.provider.pushed import PushedRequest


@dataclass(frozen=True)
class GrantRead:
    """A grant as read, with the store's version of it (opaque): a rotation built from it is
    written only while the grant is still that version."""

    grant: Grant
    version: object


class OAuthGrants(Protocol):
    def add_code(self, code: AuthorizationCode) -> None:
        """Store a code (by its hash)."""
        ...

    def get_code(self, code_hash: str) -> AuthorizationCode | None:
        """The code stored under that hash, or None."""
        ...

    def spend_code(
        self,
        code_hash: str,
        spend: Callable[[AuthorizationCode], CodeSpending],
        staged: StagedWrites = NO_WRITES,
        read: AuthorizationCode | None = None,
    ) -> CodeSpending | None:
        """Apply the pure ``spend`` to the code atomically and store what it gives: the spent
        code with the grant it reserves (reserved, or issued), and ``staged`` with them, in
        one commit; or a reused code's grant revoked. ``read``: the code as the caller read
        it, used for the first attempt. None if there is no such code."""
        ...

    def rotate(
        self,
        grant_id: str,
        rotate: Callable[[Grant], Rotation],
        spent_proof: SpentProof | None = None,
        read: GrantRead | None = None,
    ) -> Rotation | None:
        """Apply the pure ``rotate`` to the grant atomically and store the grant it gives
        (nothing for "invalid"); None if there is no such grant. A rotation keeps
        ``spent_proof`` in the same commit, and raises ``InvalidProof`` (nothing stored) if
        it was kept already. Built first from ``read`` when given (no second read while the
        grant is still that version; read again if it changed)."""
        ...

    def spend_proof(self, proof: SpentProof) -> bool:
        """Keep a used DPoP proof (or any value used once) until it expires; False if it was
        kept already (a replay)."""
        ...

    def add_asserted(self, grant: Grant, spent: SpentProof) -> bool:
        """Keep an assertion redeemed once (``spent``, an ID-JAG's ``jti``) and create the
        grant it gives, in one commit; False, nothing stored, if it was kept already."""
        ...

    def get(self, grant_id: str) -> Grant | None:
        """The grant, or None."""
        ...

    def revoke(self, grant_id: str) -> bool:
        """Revoke the grant; False if it was absent or already revoked."""
        ...

    def revoke_token(self, jti: str, client_id: str, expires_at: datetime) -> None:
        """Revoke one access token that no user's grant holds (a client's own, by its
        ``jti``), until it expires; idempotent."""
        ...

    def note_use(self, grant_id: str, at: datetime) -> None:
        """Write down that a token of the grant was used at ``at`` (nothing if it is gone)."""
        ...

    def token_revoked(self, jti: str) -> bool:
        """Whether that access token was revoked."""
        ...

    def list_for_user(self, user_id: str, limit: int) -> list[Grant]:
        """The user's grants, live or not, newest first."""
        ...

    def get_consent(self, user_id: str, client_id: str) -> Consent | None:
        """The scopes the user allowed the client, or None."""
        ...

    def put_consent(self, consent: Consent) -> None:
        """Remember (replace) the user's consent for the client."""
        ...

    def delete_consent(self, user_id: str, client_id: str) -> None:
        """Forget the user's consent for the client."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Delete the user's grants, codes and consents, in bounded batches; idempotent."""
        ...


class PushedRequests(Protocol):
    """Pushed authorization requests (RFC 9126) the browser brought, by the SHA-256 of their
    push's id."""

    def spend(self, request: PushedRequest) -> bool:
        """Keep the request the browser brought unless one is kept under its key already
        (one create-if-absent): False then, as it was used already."""
        ...

    def get(self, key: str) -> PushedRequest | None:
        """The request kept under ``key``, or None."""
        ...


class RequestSeal(Protocol):
    """Authenticated encryption of what a pushed request's ``request_uri`` carries."""

    def seal(self, plaintext: bytes) -> str:
        """``plaintext`` encrypted and authenticated, as base64url text."""
        ...

    def open(self, sealed: str) -> bytes | None:
        """What ``seal`` sealed; None if this key did not seal it or it was changed."""
        ...


class GrantHolders(Protocol):
    def load(self, grant_id: str, user_id: str) -> tuple[Grant | None, User | None]:
        """The grant and the account, in one read (each None where absent)."""
        ...

    def load_versioned(self, grant_id: str, user_id: str) -> tuple[GrantRead | None, User | None]:
        """``load``, with the grant's version: a rotation is written under it
        (``OAuthGrants.rotate``'s ``read``)."""
        ...

    def load_code(
        self, code_hash: str, user_id: str
    ) -> tuple[AuthorizationCode | None, User | None]:
        """The code (by its hash) and the account, in one read (each None where absent)."""
        ...

    def load_revocable(
        self, grant_id: str, user_id: str, jti: str
    ) -> tuple[Grant | None, User | None, bool]:
        """The grant, the account and whether the access token ``jti`` was revoked by itself
        (``OAuthGrants.revoke_token``), in one read."""
        ...

    def load_chain(
        self, grant_id: str, user_id: str, jti: str, agent_grants: tuple[str, ...]
    ) -> tuple[Grant | None, User | None, bool, tuple[Grant | None, ...]]:
        """``load_revocable`` and, in the same read, each of ``agent_grants`` (None where
        absent), in their order."""
        ...


class ProviderTokens(Protocol):
    """The keys the provider signs its tokens with: the access tokens' (RFC 9068), and the ID
    tokens' when that is another, RSA key (docs/decisions/0212-rs256-id-tokens.md)."""

    @property
    def access_alg(self) -> str:
        """The access tokens' algorithm (ES256 or RS256)."""
        ...

    @property
    def id_token_alg(self) -> str:
        """The ID tokens' algorithm."""
        ...

    def public_jwks(self) -> list[dict[str, Any]]:
        """The public JWKs (with ``kid``, ``alg``, ``use``) that verify the provider's tokens."""
        ...

    def sign_access(self, claims: dict[str, Any]) -> str:
        """An access token of these claims (``typ`` ``at+jwt``, the signing key's ``kid``)."""
        ...

    def sign_id_token(self, claims: dict[str, Any]) -> str:
        """An ID token of these claims (``typ`` ``JWT``, its key's ``kid``)."""
        ...

    def sign_logout_token(self, claims: dict[str, Any]) -> str:
        """A back-channel logout token of these claims, signed as ID tokens are (``typ``
        ``logout+jwt``)."""
        ...

    def sign_security_event(self, claims: dict[str, Any]) -> str:
        """A Security Event Token (RFC 8417) of these claims, signed as ID tokens are
        (``typ`` ``secevent+jwt``): the shared signals transmitter's."""
        ...

    def verify_access(self, token: str) -> dict[str, Any] | None:
        """The claims of an access token the provider signed that is still valid (its issuer,
        ``exp``, ``sub``, ``client_id``), else None."""
        ...

    def sign_id_jag(self, claims: dict[str, Any]) -> str:
        """An identity assertion JWT authorization grant of these claims, signed as ID tokens
        are (``typ`` ``oauth-id-jag+jwt``)."""
        ...

    def verify_id_token(self, token: str) -> dict[str, Any] | None:
        """The claims of an ID token the provider signed that is still valid (its issuer,
        ``exp``, ``sub``, ``aud``), else None: whom it was for is the caller's to check."""
        ...


class DpopProofs(Protocol):
    """Checks DPoP proofs (RFC 9449) and makes the server's nonces."""

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The proof algorithms accepted (the metadata's, and the challenge's ``algs``)."""
        ...

    def nonce(self, now: int) -> str:
        """The server's nonce now (``DPoP-Nonce``)."""
        ...

    def check(self, proof: str, request: ProofRequest) -> Proof:
        """The proof's key and ``jti``; raises ``InvalidProof`` or ``NonceRequired``."""
        ...


@dataclass(frozen=True)
class OAuthPolicy:
    issuer: str = "http://localhost:8000"  # PUBLIC_URL: the ``iss`` of every token
    access_token_ttl: timedelta = timedelta(minutes=10)  # access and ID tokens
    refresh_ttl: timedelta = timedelta(days=30)
    client_cache_ttl: float = 5.0  # seconds a process reuses a client it read


class CredentialsHook(Protocol):
    def credentials_exchange(self, request: CredentialsRequest) -> Mapping[str, object]:
        """The claims to add to the token with no person in it ``request`` describes,
        already checked ({}: none); CredentialsRefused when a failed hook says to refuse."""
        ...


# No hook: a client's own and an exchanged token carry firegate's claims only.
NO_CREDENTIALS_HOOK: CredentialsHook = CredentialsClaimsHook(
    caller=KindCaller(CREDENTIALS_EXCHANGE)
)
