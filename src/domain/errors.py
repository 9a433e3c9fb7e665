"""The domain's error tree. Each error carries a stable snake_case ``code`` for clients."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str


class DomainError(Exception):
    code = "error"
    title = "Error"
    # A refusal of a sign-in whose credentials were proven right (a hook's verdict, the
    # account's state): what the person typed is not to blame, and a page does not ask for
    # it again (docs/pages.md)
    credentials_proven = False

    def __init__(self, detail: str = "", *, code: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    code = "validation_failed"
    title = "Invalid input"

    def __init__(
        self,
        detail: str = "The request has invalid fields.",
        *,
        errors: tuple[FieldError, ...] = (),
        code: str | None = None,
    ) -> None:
        super().__init__(detail, code=code)
        self.errors = errors

    @classmethod
    def field(cls, field: str, message: str, code: str) -> InvalidInput:
        return cls(message, errors=(FieldError(field, message, code),), code=code)

    @classmethod
    def of(cls, errors: Sequence[FieldError]) -> InvalidInput:
        """Every bad field at once: one is said as ``field`` says it; several as a whole."""
        if len(errors) == 1:
            return cls.field(errors[0].field, errors[0].message, errors[0].code)
        return cls(errors=tuple(errors))


class Unreadable(DomainError):
    """Input that cannot be read at all (400), as opposed to invalid fields (422)."""

    code = "bad_request"
    title = "Bad request"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Authentication required"


class MfaRequired(Unauthenticated):
    """The first factor was right; the login continues at POST /login/mfa with ``mfa_token``."""

    code = "mfa_required"
    title = "Second factor required"

    def __init__(
        self, mfa_token: str, methods: tuple[str, ...], *, locale: str | None = None
    ) -> None:
        super().__init__("Enter a code from your authenticator app, or a recovery code.")
        self.mfa_token = mfa_token
        self.methods = methods
        self.locale = locale  # the account's language: the pages' second step speaks it


class ChallengeRequired(Unauthenticated):
    """A signal fired (docs/security.md, "A challenge on signals"): the request goes through
    once it carries a token of ``provider``'s widget for ``site_key``."""

    code = "challenge_required"
    title = "Challenge required"

    def __init__(self, detail: str, *, provider: str, site_key: str) -> None:
        super().__init__(detail)
        self.provider = provider
        self.site_key = site_key


class PermissionDenied(DomainError):
    code = "forbidden"
    title = "Forbidden"


class ReauthenticationRequired(PermissionDenied):
    """Adding a way to sign in needs a recent sign-in: the session's credentials were checked
    longer ago than ``REAUTH_MAX_AGE`` (docs/security.md, "A new way in")."""

    code = "reauthentication_required"
    title = "Sign in again"

    def __init__(self) -> None:
        super().__init__("Sign in again to add a way to sign in to this account.")


class ImpersonationForbidden(PermissionDenied):
    """An impersonated session (support access, docs/support-access.md) changes nothing of
    how the account signs in, its addresses, or whether it exists."""

    code = "impersonation_forbidden"
    title = "Not while acting as someone else"

    def __init__(self) -> None:
        super().__init__(
            "A session acting as this person cannot change its password, factors, passkeys, "
            "addresses or identities, or delete the account."
        )


class SsoRequired(PermissionDenied):
    """The account's organization requires its single sign-on: the person signs in at
    ``url``, the start of the org's connection (docs/reference/sso.md, "Requiring single
    sign-on"); ``path`` is that address on this site, where the pages send a browser."""

    code = "sso_required"
    title = "Single sign-on required"

    def __init__(self, org_name: str, connection_id: str, url: str, path: str) -> None:
        super().__init__(f"{org_name} requires its single sign-on: sign in with it.")
        self.connection_id = connection_id
        self.url = url
        self.path = path


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"

    def __init__(self, detail: str = "", *, code: str | None = None, field: str = "") -> None:
        super().__init__(detail, code=code)
        self.field = field


class TooLarge(DomainError):
    """The request content is over a configured limit (413)."""

    code = "payload_too_large"
    title = "Content too large"


class RateLimited(DomainError):
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str = "", *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(1, retry_after)


class Unavailable(DomainError):
    """A dependency (database, hasher pool) cannot serve the request right now."""

    code = "service_unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str = "", *, retry_after: int = 5, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after


T = TypeVar("T")


def checked[T](check: Callable[[], T], problems: list[FieldError]) -> T | None:
    """``check()``, or None with its field errors added to ``problems``: to say every bad
    field at once (``InvalidInput.of``)."""
    try:
        return check()
    except InvalidInput as exc:
        problems.extend(exc.errors)
        return None
