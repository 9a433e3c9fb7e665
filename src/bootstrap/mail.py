"""Mail: its adapters (the action tokens, the renderer, the SMTP mailer, the new-device
notices), made from its settings, and its flows bound to them: verification, password
reset, invitations, "this wasn't me", and the mails that follow an account's changes.

A use case is bound here with ``functools.partial``; what it needs of another capability is
named in its binding's signature (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from application.accounts.accounts import AccountHooks
from application.jobs import JobHandler
from application.mail.flows import (
    EmailServices,
    ProofPorts,
    mail_after_profile_change,
    mail_after_register,
    request_verification,
    verify_email,
)
from application.mail.invitations import invite_user
from application.mail.not_me import AddedWaysIn, not_me
from application.mail.password_reset import (
    FIND_RESET_ACCOUNT,
    find_reset_account,
    forgot_password,
    reset_password,
)
from application.mail.sending import (
    SEND_MAIL,
    ActionTokenRepository,
    MailSettings,
    NewDeviceMails,
    ProviderNames,
    send_mail,
)
from application.ports import JobQueue, Mailer, MailRenderer, OwnedData
from bootstrap.accounts import AccountsAdapters
from bootstrap.platform import Platform
from bootstrap.signin import SigninAdapters, SigninPolicies
from domain.accounts.users import User
from infrastructure.firestore.mail.action_tokens import FirestoreActionTokenRepository
from infrastructure.firestore.mail.new_device_mails import FirestoreNewDeviceMails
from infrastructure.mail.render import JinjaMailRenderer
from infrastructure.mail.smtp import SmtpMailer
from infrastructure.settings import Settings
from infrastructure.settings.mail import MailSettings as MailGroup
from interfaces.web.compiled import TRANSLATIONS

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def mail_renderer(mail: MailGroup) -> MailRenderer:
    return JinjaMailRenderer(mail.mail_templates_dir, str(TRANSLATIONS))


def mailer(mail: MailGroup) -> Mailer:
    return SmtpMailer(
        mail.smtp_url.get_secret_value(),
        sender=mail.mail_from,
        timeout=mail.smtp_timeout,
    )


@dataclass(frozen=True)
class MailAdapters:
    action_tokens: ActionTokenRepository
    mail_renderer: MailRenderer
    mailer: Mailer
    new_device_mails: NewDeviceMails


def build(settings: Settings, client: Client) -> MailAdapters:
    return MailAdapters(
        action_tokens=FirestoreActionTokenRepository(client),
        mail_renderer=mail_renderer(settings.mail),
        mailer=mailer(settings.mail),
        new_device_mails=FirestoreNewDeviceMails(client),
    )


def mail_settings(settings: Settings) -> MailSettings:
    """What every mail says of the service: its address, its name, its support address."""
    return MailSettings(
        public_url=settings.service.public_url,
        product=settings.branding.site_name,
        support_email=settings.branding.support_email,
    )


def bind_flows(
    own: MailAdapters,
    *,
    accounts: AccountsAdapters,
    signin: SigninAdapters,
    rules: SigninPolicies,
    platform: Platform,
    grants: OwnedData,
    queue: JobQueue,
    hooks: AccountHooks,
) -> EmailServices:
    """``grants``: the provider's, ended with a password reset or a takeover's proof;
    ``hooks.proven``: what follows an address a mailed link proves (an org's auto_join)."""
    users, identities, clock, audit = (
        accounts.users,
        accounts.identities,
        platform.clock,
        platform.audit,
    )
    passkeys, factors = signin.passkeys, signin.factors
    return EmailServices(
        request_verification=partial(request_verification, users=users, queue=queue, audit=audit),
        verify=partial(
            verify_email,
            action_tokens=own.action_tokens,
            proof=ProofPorts(users, identities, passkeys, factors, grants),
            clock=clock,
            audit=audit,
            proven=hooks.proven,
        ),
        forgot_password=partial(forgot_password, queue=queue),
        reset_password=partial(
            reset_password,
            action_tokens=own.action_tokens,
            users=users,
            passkeys=passkeys,
            factors=factors,
            identities=identities,
            hasher=accounts.hasher,
            throttle=signin.throttle,
            throttle_policy=rules.throttle_policy,
            clock=clock,
            audit=audit,
            proven=hooks.proven,
            hold=rules.hold,
        ),
        invite=partial(invite_user, users=users, queue=queue, clock=clock, audit=audit),
        not_me=partial(
            not_me,
            action_tokens=own.action_tokens,
            users=users,
            sessions=signin.sessions,
            queue=queue,
            clock=clock,
            audit=audit,
            ways_in=AddedWaysIn(passkeys, identities, factors),
        ),
    )


def handlers(
    own: MailAdapters,
    settings: Settings,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    queue: JobQueue,
    names: ProviderNames,
) -> dict[str, JobHandler]:
    """The jobs of the mail flows by kind: handlers, not use cases (they take the job);
    ``names``: the identity providers as the notices name them."""
    users, audit = accounts.users, platform.audit
    return {
        SEND_MAIL: partial(
            send_mail,
            users=users,
            action_tokens=own.action_tokens,
            renderer=own.mail_renderer,
            mailer=own.mailer,
            clock=platform.clock,
            audit=audit,
            settings=mail_settings(settings),
            new_device_mails=own.new_device_mails,
            metrics=platform.metrics,
            names=names,
        ),
        # It queues the reset mail itself, so it needs the queue its handlers run on.
        FIND_RESET_ACCOUNT: partial(find_reset_account, users=users, queue=queue, audit=audit),
    }


def account_hooks(platform: Platform, *, queue: JobQueue) -> AccountHooks:
    """The mails that follow a new account and a profile change."""
    return AccountHooks(
        registered=partial(mail_after_register, queue=queue),
        registered_with=partial(_registered_with, queue=queue),
        changed=partial(mail_after_profile_change, queue=queue, audit=platform.audit),
    )


def _registered_with(user: User, provider: str, *, queue: JobQueue) -> None:
    mail_after_register(user, queue=queue, provider=provider)
