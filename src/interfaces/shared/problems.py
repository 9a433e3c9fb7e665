"""The status of each kind of domain error: the same on the API and on the pages."""

from __future__ import annotations

from domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unreadable,
)

_STATUS: list[tuple[type[DomainError], int]] = [
    (Unreadable, 400),
    (InvalidInput, 422),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooLarge, 413),
    (RateLimited, 429),
    (Unavailable, 503),
]


def status_of(exc: DomainError) -> int:
    return next((status for cls, status in _STATUS if isinstance(exc, cls)), 400)
