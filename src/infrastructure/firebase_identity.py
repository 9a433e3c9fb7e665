"""Firebase ID tokens verified with firebase-admin: the IdentityVerifier adapter.

In production firebase-admin checks the RS256 signature against Google's public keys, the
audience and issuer (this project), the times, and -- with ``check_revoked`` -- asks Firebase
Auth whether the user is disabled or its tokens were revoked. With FIREBASE_AUTH_EMULATOR_HOST
set it checks no signature and no time at all (the emulator's tokens are unsigned), which is
why the production profile refuses that variable and why ``exp`` is checked here as well.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import firebase_admin
from firebase_admin import auth
from firebase_admin import exceptions as firebase_errors

from application.ports import ExternalIdentity
from domain.errors import PermissionDenied, Unauthenticated, Unavailable

log = logging.getLogger(__name__)

PROVIDER = "firebase"
HTTP_TIMEOUT_SECONDS = 5  # Firebase Auth calls (revocation check); the library waits 120 s
_APPS_LOCK = threading.Lock()


def _invalid() -> Unauthenticated:
    return Unauthenticated("The Firebase ID token is not valid.", code="invalid_id_token")


def _expired() -> Unauthenticated:
    return Unauthenticated(
        "The Firebase ID token has expired; get a fresh one and try again.",
        code="id_token_expired",
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class FirebaseIdentityVerifier:
    """One firebase_admin App per process and project, created on first use (after the fork).

    No credentials are given: in production the App uses Application Default Credentials
    (the Cloud Run service account), and on the emulator firebase-admin needs none.
    """

    def __init__(
        self, *, project: str, clock_skew_seconds: int = 10, app_name: str = "firegate"
    ) -> None:
        self._project = project
        self._skew = clock_skew_seconds
        self._app_name = app_name
        self._app: Any = None

    def _firebase_app(self) -> Any:
        if self._app is None:
            with _APPS_LOCK:
                try:
                    app = firebase_admin.get_app(self._app_name)
                except ValueError:
                    app = firebase_admin.initialize_app(
                        options={"projectId": self._project, "httpTimeout": HTTP_TIMEOUT_SECONDS},
                        name=self._app_name,
                    )
                if app.project_id != self._project:
                    raise RuntimeError(
                        f"firebase_admin app {self._app_name!r} belongs to another project"
                    )
                self._app = app
        return self._app

    def verify(self, id_token: str) -> ExternalIdentity:
        app = self._firebase_app()
        # The library's messages can quote the token: only exception types are ever logged,
        # and clients get our own fixed texts.
        try:
            claims: dict[str, Any] = auth.verify_id_token(
                id_token, app=app, check_revoked=True, clock_skew_seconds=self._skew
            )
        except auth.RevokedIdTokenError:
            raise Unauthenticated(
                "The Firebase ID token has been revoked; sign in to Firebase again.",
                code="id_token_revoked",
            ) from None
        except auth.ExpiredIdTokenError:
            raise _expired() from None
        except auth.UserDisabledError:
            raise PermissionDenied(
                "The Firebase account is disabled.", code="firebase_user_disabled"
            ) from None
        except (auth.InvalidIdTokenError, auth.UserNotFoundError, ValueError) as exc:
            log.info("Firebase ID token refused: %s", type(exc).__name__)
            raise _invalid() from None
        except firebase_errors.FirebaseError as exc:  # certificates or Auth API unreachable
            log.warning("Firebase Auth unavailable: %s", type(exc).__name__)
            raise Unavailable("Firebase Auth cannot be reached; try again shortly.") from None
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or expires + self._skew < time.time():
            raise _expired()
        subject = _text(claims.get("uid"))
        if subject is None:
            raise _invalid()
        return ExternalIdentity(
            provider=PROVIDER,
            subject=subject,
            email=_text(claims.get("email")),
            email_verified=claims.get("email_verified") is True,
            display_name=_text(claims.get("name")),
        )
