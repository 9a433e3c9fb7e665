"""The Identity Assertion JWT Authorization Grant (ID-JAG,
draft-ietf-oauth-identity-assertion-authz-grant), the agents unit's: minted by a token
exchange (its request, its claims, its answer: §4.3) and redeemed, what a JWT must be to
stand for a person at firegate's token endpoint through the JWT bearer grant (RFC 7523
§2.1), apart from its signature and issuer, which application/agents/id_jag.py checks
(docs/agents-and-clis.md, "An enterprise's IdP: ID-JAG"; docs/reference/oauth.md, "ID-JAG").

A redemption's every refusal is ``invalid_grant`` (RFC 7523 §3.1), each with what was
wrong; a minting request's are RFC 8693's (``ExchangeRefused``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.provider.dpop import SpentProof
from domain.provider.token_exchange import ID_TOKEN, ExchangeRefused, parameter
from domain.signin.acr import methods

ID_JAG = (
    "urn:ietf:params:oauth:token-type:id-jag"  # draft-ietf-oauth-identity-assertion-authz-grant
)
ID_JAG_LIFETIME = 300  # seconds: a grant to be redeemed at once

JAG_TYPE = "oauth-id-jag+jwt"  # the draft's ``typ``: no other JWT is taken for one
# Asymmetric only, as a client's own assertions (docs/decisions/0421-private-key-jwt.md)
JAG_ALGORITHMS = ("RS256", "ES256", "PS256")
MAX_JAG_LIFETIME = timedelta(minutes=5)  # how far ahead its ``exp`` may be
CLOCK_LEEWAY = timedelta(seconds=30)
MAX_CLAIM_CHARS = 2048
MAX_JTI_CHARS = 200


class JagRefused(Exception):
    """An ID-JAG that is not redeemed: ``invalid_grant`` with this description."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class IdJag:
    """An ID-JAG whose claims passed: who vouches (``issuer``), for whom (``subject``, in the
    issuer's terms), for which client, resource and scopes, spent once by its ``jti``."""

    issuer: str
    subject: str
    client_id: str
    jti: str
    expires_at: datetime
    resource: str
    scope: tuple[str, ...]

    def spent(self, now: datetime) -> SpentProof:
        """What is kept of it once redeemed, until it would be refused as expired anyway."""
        key = hashlib.sha256(json.dumps(["id_jag", self.issuer, self.jti]).encode())
        return SpentProof(key.hexdigest(), max(self.expires_at, now) + CLOCK_LEEWAY)


@dataclass(frozen=True)
class OwnSignIn:
    """What an ID-JAG of firegate's own says of the sign-in it was minted from: that
    sign-in's grant (``grant_id``), which must still hold when it is redeemed, its methods
    (``amr``) and its time (docs/decisions/0620-an-id-jag-keeps-its-sign-in.md)."""

    grant_id: str
    amr: tuple[str, ...]
    auth_time: datetime | None


NO_SIGN_IN = (
    "The ID-JAG names no sign-in of this server (grant_id): firegate's own ID-JAGs are "
    "minted by its token exchange."
)


def own_sign_in(claims: Mapping[str, Any], now: datetime) -> OwnSignIn:
    """The sign-in firegate's own ID-JAG names (its signature checked): ``grant_id``, and its
    ``amr`` and ``auth_time`` as the ID token it was minted from had them."""
    grant_id = claims.get("grant_id")
    if not isinstance(grant_id, str) or not grant_id or len(grant_id) > MAX_JTI_CHARS:
        raise JagRefused(NO_SIGN_IN)
    when = claims.get("auth_time")
    auth_time = (
        datetime.fromtimestamp(when, now.tzinfo)
        if isinstance(when, int) and not isinstance(when, bool) and 0 <= when <= now.timestamp()
        else None
    )
    return OwnSignIn(grant_id, methods(claims.get("amr")), auth_time)


def check_header(header: Mapping[str, Any]) -> None:
    """The JOSE header: ``typ`` the draft's (case-insensitively, RFC 7515 §4.1.9), an
    asymmetric ``alg``."""
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() != JAG_TYPE:
        raise JagRefused(f"The assertion is not an ID-JAG: its typ must be {JAG_TYPE}.")
    if header.get("alg") not in JAG_ALGORITHMS:
        raise JagRefused("The ID-JAG must be signed with " + ", ".join(JAG_ALGORITHMS) + ".")


def _text(claims: Mapping[str, Any], name: str, limit: int = MAX_CLAIM_CHARS) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise JagRefused(f"The ID-JAG has no valid '{name}'.")
    return value


def _time(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise JagRefused(f"The ID-JAG has no valid '{name}'.")
    return float(value)


def check_claims(
    claims: Mapping[str, Any], *, audience: str, client_id: str, now: datetime
) -> IdJag:
    """The draft's claims (``iss sub aud client_id jti iat exp resource``, ``scope``
    optional): ``aud`` this server's issuer, ``client_id`` the client redeeming it, within its
    time (``exp`` at most ``MAX_JAG_LIFETIME`` ahead, ``iat`` not in the future)."""
    issuer, subject = _text(claims, "iss"), _text(claims, "sub")
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and aud == [audience]):
        raise JagRefused("The ID-JAG is for another audience: its aud must be this issuer.")
    if _text(claims, "client_id") != client_id:
        raise JagRefused("The ID-JAG was issued to another client.")
    jti = _text(claims, "jti", MAX_JTI_CHARS)
    exp, iat, leeway = _time(claims, "exp"), _time(claims, "iat"), CLOCK_LEEWAY.total_seconds()
    moment = now.timestamp()
    if exp <= moment - leeway:
        raise JagRefused("The ID-JAG has expired.")
    if exp > moment + MAX_JAG_LIFETIME.total_seconds() + leeway:
        minutes = int(MAX_JAG_LIFETIME.total_seconds() // 60)
        raise JagRefused(f"The ID-JAG's exp is more than {minutes} minutes ahead.")
    if iat > moment + leeway:
        raise JagRefused("The ID-JAG's iat is in the future.")
    resource = _text(claims, "resource")
    scope = claims.get("scope", "")
    if not isinstance(scope, str) or len(scope) > MAX_CLAIM_CHARS:
        raise JagRefused("The ID-JAG's scope is not valid.")
    return IdJag(
        issuer=issuer,
        subject=subject,
        client_id=client_id,
        jti=jti,
        expires_at=datetime.fromtimestamp(exp, now.tzinfo),
        resource=resource,
        scope=tuple(dict.fromkeys(scope.split())),
    )


@dataclass(frozen=True)
class IdJagRequest:
    """The draft's token exchange request for an ID-JAG (§4.3): the person's ID token
    (``subject_token_type`` ``id_token``), the ``audience`` (the resource's authorization
    server's issuer) and the ``resource`` (both required here: firegate mints for a
    registered resource only), an optional ``scope``; no ``actor_token``."""

    subject_token: str
    audience: str
    resource: str
    scope: tuple[str, ...] | None  # None: the resource's scopes the client is allowed

    @staticmethod
    def parse(form: Mapping[str, Sequence[str]]) -> IdJagRequest:
        subject_token = parameter(form, "subject_token", required=True) or ""
        if parameter(form, "subject_token_type", required=True) != ID_TOKEN:
            raise ExchangeRefused(
                "invalid_request",
                f"subject_token_type must be {ID_TOKEN}: an ID-JAG is minted for an ID token "
                "this server issued to the client.",
            )
        if form.get("actor_token") or form.get("actor_token_type"):
            raise ExchangeRefused("invalid_request", "actor_token is not used for an ID-JAG.")
        audience = parameter(form, "audience")
        resource = parameter(form, "resource")
        if not audience or not resource:
            raise ExchangeRefused(
                "invalid_request",
                "Name the resource's authorization server (audience) and the resource.",
            )
        scope = parameter(form, "scope")
        asked = tuple(dict.fromkeys(scope.split())) if scope is not None else None
        if asked == ():
            raise ExchangeRefused("invalid_scope", "The scope is empty.")
        return IdJagRequest(subject_token, audience, resource, asked)


def id_token_for(claims: Mapping[str, Any], client_id: str) -> bool:
    """The draft §4.3.1: the subject ID token's ``aud`` is the authenticated client (a list
    naming others is another party's token too: its ``azp`` must be the client)."""
    audience = claims.get("aud")
    if audience == client_id:
        return True
    if isinstance(audience, list) and client_id in audience:
        return len(audience) == 1 or claims.get("azp") == client_id
    return False


def id_jag_claims(
    *,
    issuer: str,
    subject: str,
    audience: str,
    client_id: str,
    jti: str,
    now: int,
    resource: str,
    scope: Sequence[str],
    org_id: str,
) -> dict[str, Any]:
    """The draft §3's claims, exactly these: ``iss sub aud client_id jti iat exp resource
    scope``, and ``org_id``, the org whose policy let the client have it (the redeeming
    server may check the resource is that org's); ``exp`` ``ID_JAG_LIFETIME`` from ``now``."""
    return {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "client_id": client_id,
        "jti": jti,
        "iat": now,
        "exp": now + ID_JAG_LIFETIME,
        "resource": resource,
        "scope": " ".join(scope),
        "org_id": org_id,
    }


def id_jag_answer(token: str, expires_in: int, scope: Sequence[str]) -> dict[str, Any]:
    """The draft §4.3.2's response: the grant as ``access_token`` (RFC 8693 names it so),
    ``issued_token_type`` id-jag, ``token_type`` ``N_A`` (it is no access token), no refresh
    token."""
    return {
        "access_token": token,
        "issued_token_type": ID_JAG,
        "token_type": "N_A",
        "expires_in": expires_in,
        "scope": " ".join(scope),
    }
