"""firebase-admin adapters: ID tokens verified (IdentityVerifier) and custom tokens minted
(CustomTokenMinter), both on one firebase_admin App per process and project.

In production firebase-admin checks the RS256 signature against Google's public keys, the
audience and issuer (this project), the times, and -- with ``check_revoked`` -- asks Firebase
Auth whether the user is disabled or its tokens were revoked. With FIREBASE_AUTH_EMULATOR_HOST
set it checks no signature and no time at all (the emulator's tokens are unsigned), which is
why the production profile refuses that variable and why ``exp`` is checked here as well.

Custom tokens are signed by a service account: in production firebase-admin asks the metadata
server for the runtime service account and signs through IAM's signBlob (the account needs
Service Account Token Creator on itself, docs/operations.md); with FIREBASE_AUTH_EMULATOR_HOST
set it signs nothing (``alg: none``, which only the emulator accepts) and needs no credentials.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import firebase_admin
from firebase_admin import auth
from firebase_admin import exceptions as firebase_errors
from google.auth import exceptions as google_auth_errors

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


class FirebaseApp:
    """The process's firebase_admin App of one name and project, made on first use.

    No credentials are given: in production the App uses Application Default Credentials
    (the Cloud Run service account), and on the emulators firebase-admin needs none.
    """

    def __init__(self, project: str, name: str) -> None:
        self._project = project
        self._name = name
        self._app: Any = None

    def get(self) -> Any:
        if self._app is None:
            with _APPS_LOCK:
                try:
                    app = firebase_admin.get_app(self._name)
                except ValueError:
                    app = firebase_admin.initialize_app(
                        options={"projectId": self._project, "httpTimeout": HTTP_TIMEOUT_SECONDS},
                        name=self._name,
                    )
                if app.project_id != self._project:
                    raise RuntimeError(
                        f"firebase_admin app {self._name!r} belongs to another project"
                    )
                self._app = app
        return self._app


class FirebaseIdentityVerifier:
    """ID tokens checked by firebase-admin on the process's App (made after the fork)."""

    def __init__(
        self, *, project: str, clock_skew_seconds: int = 10, app_name: str = "firegate"
    ) -> None:
        self._app = FirebaseApp(project, app_name)
        self._skew = clock_skew_seconds

    def verify(self, id_token: str) -> ExternalIdentity:
        app = self._app.get()
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
            # Firebase has no preferred_username: its display name gives the username
            # (docs/reference/firebase.md).
            preferred_username=_text(claims.get("name")),
            anonymous=_sign_in_provider(claims) == "anonymous",
        )


def _sign_in_provider(claims: dict[str, Any]) -> str | None:
    """How the Firebase user signed in (``firebase.sign_in_provider``: ``password``,
    ``google.com``, ``anonymous``...)."""
    firebase = claims.get("firebase")
    return _text(firebase.get("sign_in_provider")) if isinstance(firebase, dict) else None


class FirebaseCustomTokens:
    """Custom tokens minted by firebase-admin on the process's App (made after the fork).

    The signer is found on the first mint and kept by firebase-admin; a failure to find or
    use it (no service account, IAM refusing signBlob, IAM unreachable) is Unavailable, and
    the next mint tries again.
    """

    def __init__(self, *, project: str, app_name: str = "firegate") -> None:
        self._app = FirebaseApp(project, app_name)

    def mint(self, uid: str, claims: Mapping[str, object]) -> str:
        app = self._app.get()
        try:
            token: bytes = auth.create_custom_token(uid, dict(claims), app=app)
        except (
            ValueError,  # no signer: no service account found, or it may not sign
            firebase_errors.FirebaseError,  # TokenSignError: IAM's signBlob failed
            google_auth_errors.GoogleAuthError,
        ) as exc:
            # These messages hold no secret (the token is not made yet; its claims are a
            # user id and a role) and name what the operator must fix, e.g. a missing role.
            log.warning("Firebase custom token not minted: %s: %.500s", type(exc).__name__, exc)
            raise Unavailable(
                "Firebase custom tokens cannot be made right now; try again shortly."
            ) from None
        return token.decode("ascii")
