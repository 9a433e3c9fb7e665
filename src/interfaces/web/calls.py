"""Every call the pages make to the use cases, in one place (docs/pages.md): a page route
builds the command here and nowhere else, so the pages follow the use cases' groups."""

from __future__ import annotations

from collections.abc import Mapping

from flask import request

from application.accounts import GetUser, Register
from application.authentication import Actor, Authenticate
from application.email import VerifyEmail
from application.login import Login, MfaLogin
from application.passkeys import (
    DeletePasskey,
    ListPasskeys,
    PasskeySignIn,
    RegisterPasskey,
    RegistrationOptions,
    RenamePasskey,
)
from application.password_reset import ForgotPassword, ResetPassword
from application.sessions import Logout, Refresh
from application.tokens import TokenPair
from domain.passkeys import Passkey
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


# -- passkeys


def passkeys(actor: Actor) -> list[Passkey]:
    return services().passkeys.list(ListPasskeys(actor))


def passkey_options(actor: Actor) -> dict[str, object]:
    return services().passkeys.registration_options(RegistrationOptions(actor))


def add_passkey(actor: Actor, credential: Mapping[str, object], name: str) -> Passkey:
    return services().passkeys.register(
        RegisterPasskey(user_id=actor.user_id, credential=credential, name=name)
    )


def rename_passkey(actor: Actor, passkey_id: str, name: str) -> Passkey:
    return services().passkeys.rename(RenamePasskey(actor, passkey_id, name))


def delete_passkey(actor: Actor, passkey_id: str) -> None:
    services().passkeys.delete(DeletePasskey(actor, passkey_id))


def passkey_sign_in_options() -> dict[str, object]:
    return services().passkeys.authentication_options()


def passkey_sign_in(credential: Mapping[str, object]) -> TokenPair:
    return services().passkeys.sign_in(
        PasskeySignIn(credential=credential, user_agent=_user_agent(), client_ip=client_ip())
    )
