"""Sign-in's actions on an account's admin page (docs/pages.md): ending every session of it,
and resetting its second factor. The web adapter's composition hands them to the admin pages
(interfaces/web/accounts/admin.py)."""

from __future__ import annotations

from application.signin.authentication import Actor
from application.signin.factors.totp import ResetMfa
from application.signin.services import SigninServices
from application.signin.sessions import EndUserSessions
from interfaces.shared.services import services
from interfaces.web.accounts.admin import UserAction


def _end_sessions(actor: Actor, user_id: str) -> None:
    services().of(SigninServices).sessions.end_for_user(EndUserSessions(actor, user_id))


def _reset_mfa(actor: Actor, user_id: str) -> None:
    services().of(SigninServices).totp.reset(ResetMfa(actor=actor, user_id=user_id))


END_SESSIONS = UserAction("end-sessions", "sessions", _end_sessions)
RESET_MFA = UserAction("reset-mfa", "mfa", _reset_mfa)
