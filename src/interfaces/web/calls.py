"""Every call the pages make to the use cases, in one place (docs/pages.md): a page route
builds the command here and nowhere else, so the pages follow the use cases' groups."""

from __future__ import annotations

from flask import request

from application.accounts import GetUser, Register
from application.admin import AdminChange, EndUserSessions, ShowUser, UserListing, UserQuery
from application.authentication import Actor, Authenticate
from application.email import RequestVerification, VerifyEmail
from application.invitations import Invite
from application.login import Login, MfaLogin
from application.pagination import DEFAULT_LIMIT, Page
from application.password_reset import ForgotPassword, ResetPassword
from application.sessions import Logout, Refresh
from application.tokens import TokenPair
from application.totp import ResetMfa
from domain.users import User
from interfaces.shared.languages import accepted_locale
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services


def _user_agent() -> str:
    return request.user_agent.string[:256]


def sign_in(login: str, password: str, device_token: str) -> TokenPair:
    return services().login.login(
        Login(
            login=login,
            password=password,
            user_agent=_user_agent(),
            client_ip=client_ip(),
            device_token=device_token,
        )
    )


def finish_sign_in(mfa_token: str, code: str | None, recovery_code: str | None) -> TokenPair:
    return services().login.finish_mfa(
        MfaLogin(
            mfa_token=mfa_token,
            code=code,
            recovery_code=recovery_code,
            user_agent=_user_agent(),
            client_ip=client_ip(),
        )
    )


def authenticate(access_token: str) -> Actor:
    return services().authentication.authenticate(Authenticate(access_token))


def refresh(refresh_token: str) -> TokenPair:
    return services().sessions.refresh(Refresh(refresh_token))


def sign_out(actor: Actor) -> None:
    services().sessions.logout(Logout(actor, False))


def sign_up(username: str, email: str, password: str) -> User:
    return services().accounts.register(
        Register(username=username, email=email, password=password, locale=accepted_locale())
    )


def verify_email(token: str) -> User:
    return services().email.verify(VerifyEmail(token, client_ip()))


def forgot_password(email: str) -> None:
    services().email.forgot_password(ForgotPassword(email=email, client_ip=client_ip()))


def reset_password(token: str, new_password: str) -> None:
    services().email.reset_password(
        ResetPassword(token=token, new_password=new_password, client_ip=client_ip())
    )


def current_user(actor: Actor) -> User:
    return services().accounts.get(GetUser(actor))


# -- admin


def admin_search(actor: Actor, prefix: str, cursor: str | None) -> Page[UserListing]:
    return services().admin.list_users(
        UserQuery(actor, DEFAULT_LIMIT, cursor or None, prefix=prefix)
    )


def admin_user(actor: Actor, user_id: str) -> User:
    return services().admin.show_user(ShowUser(actor, user_id, as_admin=True)).user


def admin_change(
    actor: Actor, user_id: str, *, role: str | None = None, disabled: bool | None = None
) -> User:
    return services().admin.change_user(
        AdminChange(actor=actor, user_id=user_id, role=role, disabled=disabled)
    )


def admin_end_sessions(actor: Actor, user_id: str) -> None:
    services().admin.end_sessions(EndUserSessions(actor, user_id))


def admin_reset_mfa(actor: Actor, user_id: str) -> None:
    services().totp.reset(ResetMfa(actor=actor, user_id=user_id))


def admin_send_verification(actor: Actor, user_id: str) -> None:
    services().email.request_verification(RequestVerification(actor, user_id=user_id))


def admin_invite(actor: Actor, email: str, username: str | None, role: str) -> User:
    return services().email.invite(
        Invite(actor=actor, username=username, email=email, role=role or None)
    )
