"""RFC 9470 §3's challenge, as firegate's API answers a session whose sign-in is too old for
what it asks (docs/security.md, "Step-up")."""

from __future__ import annotations

from typing import Any

REAUTH_MAX_AGE = 600  # the default


def challenged(answer: Any, max_age: int = REAUTH_MAX_AGE) -> None:
    """403 ``reauthentication_required`` with ``insufficient_user_authentication`` and the
    ``max_age`` a new sign-in must be within."""
    assert answer.status_code == 403, answer.get_json()
    assert answer.get_json()["code"] == "reauthentication_required"
    assert answer.headers["WWW-Authenticate"] == (
        'Bearer realm="firegate", error="insufficient_user_authentication", '
        f'error_description="A more recent sign-in is required", max_age="{max_age}"'
    )
