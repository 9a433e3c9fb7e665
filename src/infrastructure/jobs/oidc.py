"""Verifies the OIDC tokens Pub/Sub push requests carry in production.

A push subscription created with ``--push-auth-service-account=SA`` sends
``Authorization: Bearer <Google-signed ID token>``: signature (Google's certificates), ``iss``,
``exp`` and ``aud`` (``JOB_PUSH_AUDIENCE``) are checked by google-auth, the ``email`` (verified)
must be that service account (``JOB_PUSH_SERVICE_ACCOUNT``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import requests
from google.auth import exceptions as auth_exceptions
from google.auth.transport.requests import Request
from google.oauth2 import id_token

from domain.errors import Unauthenticated, Unavailable

# (token, audience) -> claims; raises ValueError (or a GoogleAuthError) for a bad token.
TokenCheck = Callable[[str, str], Mapping[str, Any]]
CLOCK_SKEW_SECONDS = 10


def google_id_token_check(
    token: str, audience: str, ca_certs: str | None = None
) -> Mapping[str, Any]:
    """The token's claims, Google's certificates fetched over https trusting ``ca_certs``
    (the bundle of every outbound call: SSL_CERT_FILE's; requests' own when None)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_certs or True
    claims: Mapping[str, Any] = id_token.verify_oauth2_token(  # type: ignore[no-untyped-call]
        token, Request(session), audience=audience, clock_skew_in_seconds=CLOCK_SKEW_SECONDS
    )
    return claims


class GooglePushVerifier:
    def __init__(
        self,
        *,
        audience: str,
        service_account: str,
        ca_certs: str | None = None,
        check: TokenCheck | None = None,
    ) -> None:
        self._audience = audience
        self._service_account = service_account
        self.ca_certs = ca_certs
        self._check = check or partial(google_id_token_check, ca_certs=ca_certs)

    def verify(self, bearer_token: str) -> None:
        try:
            claims = self._check(bearer_token, self._audience)
        except auth_exceptions.TransportError as exc:
            # Google's certificates are out of reach: a 503 makes Pub/Sub deliver again.
            raise Unavailable("Cannot check the push token now.") from exc
        except (ValueError, auth_exceptions.GoogleAuthError):
            raise Unauthenticated(
                "The push token is not valid.", code="invalid_push_credentials"
            ) from None
        if claims.get("email") != self._service_account or claims.get("email_verified") is not True:
            raise Unauthenticated(
                "The push token is not from our push service account.",
                code="invalid_push_credentials",
            )
