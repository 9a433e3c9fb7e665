"""Every call the pages make to the use cases, in one place (docs/pages.md): a page route
builds the command here and nowhere else, so the pages follow the use cases' groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import request

from application.events.security_events import EventQuery
from application.events.webhooks.admin import (
    CreatedWebhook,
    CreateWebhook,
    DeliveryQuery,
    ListWebhooks,
    Resend,
    WebhookRef,
)
from application.identity.accounts import DeleteUser, GetUser, Register, UpdateProfile
from application.identity.admin import (
    AdminChange,
    EndUserSessions,
    ShowUser,
    UserListing,
    UserQuery,
)
from application.identity.authentication import Actor, Authenticate
from application.identity.login import ChangePassword, Login
from application.identity.mfa import MfaLogin
from application.identity.passkeys import (
    DeletePasskey,
    ListPasskeys,
    PasskeySignIn,
    RegisterPasskey,
    RegistrationOptions,
    RenamePasskey,
)
from application.identity.sessions import (
    EndOtherSessions,
    EndSession,
    ListSessions,
    Logout,
    Refresh,
)
from application.identity.tokens import TokenPair
from application.identity.totp import GetTotp, MfaCommand, ResetMfa, TotpEnrolment, TotpStatus
from application.mail.flows import RequestVerification, VerifyEmail
from application.mail.invitations import Invite
from application.mail.not_me import NotMe
from application.mail.password_reset import ForgotPassword, ResetPassword
from application.oauth.apps import AppAccess, ListApps, RevokeApp
from application.oauth.clients import (
    AdminClients,
    AdminCreateClient,
    AdminDeleteClient,
    CreateClient,
    CreatedClient,
)
from application.pagination import DEFAULT_LIMIT, Page
from domain.oauth import OAuthClient
from domain.passkeys import Passkey
from domain.security_events import Activity
from domain.sessions import Session
from domain.users import User
from domain.webhooks import Delivery, WebhookEndpoint
from interfaces.shared.after_response import after_response
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


def authenticate(access_token: str, *, with_factor: bool = False) -> Actor:
    return services().authentication.authenticate(Authenticate(access_token, with_factor))


def refresh(refresh_token: str) -> TokenPair:
    return services().sessions.refresh(Refresh(refresh_token))


def sign_out(actor: Actor) -> None:
    services().sessions.logout(Logout(actor, False))


def sign_up(username: str, email: str, password: str, chosen_locale: str) -> User:
    """The account speaks the language the page was read in: the one this browser chose on
    the pages (``chosen_locale``), else its Accept-Language's."""
    locale = chosen_locale or accepted_locale()
    return services().accounts.register(
        Register(username=username, email=email, password=password, locale=locale)
    )


def verify_email(token: str) -> User:
    return services().email.verify(VerifyEmail(token, client_ip()))


def forgot_password(email: str) -> None:
    """Queued once the answer is sent, as by the API: nothing delays it for either kind of
    address (docs/security.md, "Password recovery")."""
    forgot, cmd = services().email.forgot_password, ForgotPassword(email, client_ip())
    after_response(lambda: forgot(cmd))


def reset_password(token: str, new_password: str) -> None:
    services().email.reset_password(
        ResetPassword(token=token, new_password=new_password, client_ip=client_ip())
    )


# -- not me


def not_me(token: str) -> None:
    services().email.not_me(NotMe(token=token, client_ip=client_ip()))


def not_me_signed_in(actor: Actor) -> bool:
    return services().email.not_me(NotMe(actor=actor, client_ip=client_ip()))


# -- account


def current_user(actor: Actor) -> User:
    return services().accounts.get(GetUser(actor))


def update_profile(actor: Actor, changes: Sequence[tuple[str, str | None]]) -> User:
    """As PATCH /user: only the fields given change."""
    return services().accounts.update_profile(
        UpdateProfile(user_id=actor.user_id, changes=tuple(changes))
    )


def change_password(actor: Actor, current_password: str, new_password: str) -> None:
    services().login.change_password(
        ChangePassword(
            user_id=actor.user_id,
            session_id=actor.session_id,
            current_password=current_password,
            new_password=new_password,
            client_ip=client_ip(),
        )
    )


def sessions(actor: Actor) -> list[Session]:
    return services().sessions.list(ListSessions(actor))


RECENT_EVENTS = 10  # what the account and admin pages show of an account's activity


def recent_events(actor: Actor, user_id: str | None = None) -> Sequence[Activity]:
    """The caller's newest activity, or (an admin) that of ``user_id``: failed sign-ins in
    a row are one line."""
    return services().events.recent(EventQuery(actor, RECENT_EVENTS, user_id=user_id))


def apps_with_access(actor: Actor) -> list[AppAccess]:
    """The apps the user let sign in with firegate (docs/reference/oauth.md)."""
    return services().oauth.list_apps(ListApps(actor))


def admin_clients(actor: Actor) -> list[OAuthClient]:
    """The apps registered to sign in with firegate (an admin's)."""
    return services().oauth.admin_list_clients(AdminClients(actor))


def admin_create_client(
    actor: Actor,
    name: str,
    redirect_uris: tuple[str, ...],
    confidential: bool,
    scopes: tuple[str, ...],
    *,
    resources: tuple[str, ...] = (),
) -> CreatedClient:
    """``clients create``, from /admin: the client, with its secret (shown once)."""
    client = CreateClient(name, redirect_uris, confidential, scopes, resources=resources)
    return services().oauth.admin_create_client(AdminCreateClient(actor, client))


def admin_delete_client(actor: Actor, client_id: str) -> None:
    services().oauth.admin_delete_client(AdminDeleteClient(actor, client_id))


def revoke_app(actor: Actor, client_id: str) -> None:
    services().oauth.revoke_app(RevokeApp(actor, client_id))


def end_session(actor: Actor, session_id: str) -> None:
    services().sessions.end(EndSession(actor, session_id))


def end_other_sessions(actor: Actor) -> None:
    services().sessions.end_others(EndOtherSessions(actor))


def totp_status(actor: Actor) -> TotpStatus:
    return services().totp.status(GetTotp(actor))


def _mfa(actor: Actor, *, password: str = "", code: str = "") -> MfaCommand:
    return MfaCommand.of(actor, password=password, code=code, client_ip=client_ip())


def start_totp(actor: Actor, password: str) -> TotpEnrolment:
    return services().totp.start(_mfa(actor, password=password))


def confirm_totp(actor: Actor, code: str) -> tuple[str, ...]:
    return services().totp.confirm(_mfa(actor, code=code))


def disable_totp(actor: Actor, password: str, code: str) -> None:
    services().totp.disable(_mfa(actor, password=password, code=code))


def new_recovery_codes(actor: Actor, password: str, code: str) -> tuple[str, ...]:
    return services().totp.new_recovery_codes(_mfa(actor, password=password, code=code))


def delete_account(actor: Actor, password: str) -> None:
    services().accounts.delete(DeleteUser(actor, password=password, client_ip=client_ip()))


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


def passkey_sign_in(credential: Mapping[str, object], device_token: str) -> TokenPair:
    return services().passkeys.sign_in(
        PasskeySignIn(
            credential=credential,
            user_agent=_user_agent(),
            client_ip=client_ip(),
            device_token=device_token,
        )
    )


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


# -- webhooks


def webhooks(actor: Actor) -> list[WebhookEndpoint]:
    return services().webhooks.list(ListWebhooks(actor))


def create_webhook(
    actor: Actor, url: str, events: Sequence[str], description: str
) -> CreatedWebhook:
    return services().webhooks.create(CreateWebhook(actor, url, tuple(events), description))


def webhook(actor: Actor, webhook_id: str) -> WebhookEndpoint:
    return services().webhooks.show(WebhookRef(actor, webhook_id))


def webhook_deliveries(actor: Actor, webhook_id: str, cursor: str | None) -> Page[Delivery]:
    query = DeliveryQuery(actor, webhook_id, DEFAULT_LIMIT, cursor or None)
    return services().webhooks.deliveries(query)


def delete_webhook(actor: Actor, webhook_id: str) -> None:
    services().webhooks.delete(WebhookRef(actor, webhook_id))


def resend_delivery(actor: Actor, webhook_id: str, delivery_id: str) -> None:
    services().webhooks.resend(Resend(actor, webhook_id, delivery_id))
