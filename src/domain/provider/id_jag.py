"""The Identity Assertion JWT Authorization Grant (ID-JAG,
draft-ietf-oauth-identity-assertion-authz-grant), redeemed: what a JWT must be to stand for
a person at firegate's token endpoint through the JWT bearer grant (RFC 7523 §2.1), apart
from its signature and issuer, which application/provider/id_jag.py checks
(docs/agents-and-clis.md, "An enterprise's IdP: ID-JAG"; docs/reference/oauth.md, "ID-JAG").

Every refusal is ``invalid_grant`` (RFC 7523 §3.1), each with what was wrong."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.provider.dpop import SpentProof
from domain.signin.acr import methods

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
