"""DPoP (RFC 9449) at the provider's endpoints: the token request's proof, which binds the
tokens it gives to a key, and the proof that comes with a DPoP-bound access token at
userinfo; their refusals as the RFC spells them (docs/reference/oauth.md, "DPoP"). The
proofs themselves are checked by the ``DpopProofs`` port (infrastructure/provider/dpop.py)."""

from __future__ import annotations

import hmac
import time
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import request

from application.clients.clients import FindClient
from application.clients.services import ClientServices
from application.provider.grants import SpendProof
from application.provider.ports import DpopProofs
from application.provider.services import ProviderServices
from domain.clients.oauth import OAuthClient
from domain.provider.dpop import InvalidProof, NonceRequired, Proof, ProofRequest, bound_key
from interfaces.provider.server.models.config import OAuthConfig
from interfaces.provider.server.models.models import Client
from interfaces.shared.services import services

ONE_PROOF = "A request carries at most one DPoP header."
PROOF_REQUIRED = "This client's tokens are DPoP-bound: a DPoP proof is required."


class InvalidDpopProofError(OAuth2Error):  # type: ignore[misc]
    """RFC 9449 §5: the token request's proof is missing, malformed or not for it."""

    error = "invalid_dpop_proof"


class UseDpopNonceError(OAuth2Error):  # type: ignore[misc]
    """RFC 9449 §8: send the proof again with the nonce of the ``DPoP-Nonce`` header."""

    error = "use_dpop_nonce"

    def __init__(self, nonce: str, description: str) -> None:
        super().__init__(description=description)
        self.nonce = nonce

    def get_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = super().get_headers()
        return [*headers, ("DPoP-Nonce", self.nonce)]


class DpopChallenge(OAuth2Error):  # type: ignore[misc]
    """RFC 9449 §7.1: a resource's refusal, 401 with ``WWW-Authenticate: DPoP`` naming the
    error and the proof algorithms accepted (and the nonce to use, for ``use_dpop_nonce``)."""

    status_code = 401

    def __init__(
        self, error: str, description: str, algs: tuple[str, ...], nonce: str | None = None
    ) -> None:
        super().__init__(description=description, error=error)
        self.algs, self.nonce = algs, nonce

    def get_headers(self) -> list[tuple[str, str]]:
        challenge = (
            f'DPoP error="{self.error}", error_description="{self.description}", '
            f'algs="{" ".join(self.algs)}"'
        )
        headers: list[tuple[str, str]] = [*super().get_headers(), ("WWW-Authenticate", challenge)]
        if self.nonce is not None:
            headers.append(("DPoP-Nonce", self.nonce))
        return headers


def _now() -> int:
    """The time a proof is checked at: the wall clock, which the client made its ``iat`` by,
    and which verifies the provider's tokens too (infrastructure/signin/jwt_tokens.py); the
    ``Clock`` port mints them (docs/decisions/0345-one-place-mints-the-providers-tokens.md)."""
    return int(time.time())


def _proof_headers() -> list[str]:
    found: list[str] = request.headers.getlist("DPoP")
    return found


def _checked(dpop: DpopProofs, proof: str, asked: ProofRequest) -> Proof:
    """The proof, or the token endpoint's refusal of it."""
    try:
        return dpop.check(proof, asked)
    except NonceRequired as exc:
        raise UseDpopNonceError(dpop.nonce(asked.now), exc.detail) from exc
    except InvalidProof as exc:
        raise InvalidDpopProofError(exc.detail) from exc


def token_proof(config: OAuthConfig, client: OAuthClient) -> Proof | None:
    """The DPoP proof of a token request by ``client`` (RFC 9449 §5), checked; None when
    there is none and the client does not require one. Its ``jti`` is spent with what the
    grant stores (``save_token``)."""
    presented = _proof_headers()
    if len(presented) > 1:
        raise InvalidDpopProofError(ONE_PROOF)
    if config.dpop is None:
        return None
    if not presented:
        if client.dpop_bound_access_tokens:
            raise InvalidDpopProofError(PROOF_REQUIRED)
        return None
    asked = ProofRequest(
        method=request.method,
        url=config.issuer + request.path,  # the URL the metadata publishes
        now=_now(),
        nonce_required=config.dpop_nonce or client.dpop_bound_access_tokens,
    )
    return _checked(config.dpop, presented[0], asked)


class ProofOfPossession(grants.BaseGrant):  # type: ignore[misc]
    """RFC 9449 §5 at the token endpoint, for the grant it is mixed into: once the client is
    known (before a code or a refresh token is looked at, so that a refused proof spends
    neither), its DPoP proof is checked and kept on it; the access token it gets is bound to
    the proof's key (``cnf``, application/provider/minting.py). The grant answers ``token_type``
    ``DPoP`` and spends the proof (``spend_token_proof``) as it stores what it gives."""

    def authenticate_token_endpoint_client(self) -> Client:
        client: Client = super().authenticate_token_endpoint_client()
        client.dpop = token_proof(self.server.config, client.client)
        return client


def proof_jkt(client: Client) -> str | None:
    """The key of the client's token request's proof, if it sent one."""
    return client.dpop.jkt if client.dpop is not None else None


def spend_token_proof(proof: Proof) -> None:
    """A token request's proof is used once (RFC 9449 §11.1); a refresh spends it in its
    rotation's commit instead."""
    try:
        services().of(ProviderServices).grants.spend_proof(SpendProof(proof))
    except InvalidProof as exc:
        raise InvalidDpopProofError(exc.detail) from exc


def resource_proof(config: OAuthConfig, token: str, claims: dict[str, Any]) -> Proof:
    """The proof that comes with a DPoP-bound access token (RFC 9449 §7): of the token's key,
    for this request and this token (``ath``), used once."""
    dpop = config.dpop
    jkt = bound_key(claims)
    if dpop is None or jkt is None:
        raise DpopChallenge(
            "invalid_token",
            "The access token is not DPoP-bound: send it as Authorization: Bearer.",
            dpop.algorithms if dpop is not None else (),
        )
    presented = _proof_headers()
    if len(presented) != 1:
        raise DpopChallenge(
            "invalid_token", "A DPoP-bound access token comes with one DPoP proof.", dpop.algorithms
        )
    client = (
        services().of(ClientServices).clients.client(FindClient(str(claims.get("client_id", ""))))
    )
    required = config.dpop_nonce or (client is not None and client.dpop_bound_access_tokens)
    asked = ProofRequest(
        method=request.method,
        url=config.issuer + request.path,
        now=_now(),
        access_token=token,
        nonce_required=required,
    )
    try:
        proof = dpop.check(presented[0], asked)
    except NonceRequired as exc:
        raise DpopChallenge(
            "use_dpop_nonce", exc.detail, dpop.algorithms, dpop.nonce(asked.now)
        ) from exc
    except InvalidProof as exc:
        raise DpopChallenge("invalid_dpop_proof", exc.detail, dpop.algorithms) from exc
    if not hmac.compare_digest(proof.jkt, jkt):
        raise DpopChallenge(
            "invalid_token", "The DPoP proof is of another key than the token's.", dpop.algorithms
        )
    try:
        services().of(ProviderServices).grants.spend_proof(SpendProof(proof))
    except InvalidProof as exc:
        raise DpopChallenge("invalid_dpop_proof", exc.detail, dpop.algorithms) from exc
    return proof


def bound_token_refusal(config: OAuthConfig) -> DpopChallenge:
    """A DPoP-bound access token sent as a bearer token (RFC 9449 §7.2)."""
    algs = config.dpop.algorithms if config.dpop is not None else ()
    return DpopChallenge(
        "invalid_token",
        "The access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof.",
        algs,
    )
