"""Mail: its adapters (the action tokens, the renderer, the SMTP mailer, the new-device
notices), made from its settings, and its flows' objects built on them: verification,
password reset, invitations, "this wasn't me", the mail jobs (a sign-in code's among them:
its flow is sign-in's, bootstrap/signin.py), and the mails that follow an account's changes;
and its mailer behind the ``send_mail`` hook.

What a flow needs of another capability is named in its builder's signature
(docs/decisions/0456-service-objects.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from application.accounts.accounts import AccountHooks
from application.hooks.caller import HOOK_CALLERS, HookCalls
from application.hooks.hooked import HookMailer
from application.jobs import JOBS, JobHandler
from application.mail.code_mail import EmailCodeMailJob
from application.mail.flows import EmailVerification, MailsAfterChanges
from application.mail.invitations import AccountInvitations
from application.mail.not_me import NotMeLinks
from application.mail.password_reset import FIND_RESET_ACCOUNT, FindResetAccountJob, PasswordReset
from application.mail.sending import (
    MAIL_BRANDS,
    SEND_MAIL,
    ActionTokenRepository,
    MailBrandOf,
    MailSettings,
    NewDeviceMails,
    ProviderNames,
    SendMailJob,
)
from application.mail.services import MailServices
from application.ports import JobQueue, Mailer, MailRenderer, TextRenderer
from application.signin.codes.email import EMAIL_CODE_MAIL
from application.signin.codes.ways import CODE_WAYS
from bootstrap.accounts import CHANGE_HOOKS, SHARED, TOKEN_VERSION_COPIES, AccountsAdapters, Shared
from bootstrap.federation import SIGNED_IN, SignedIn
from bootstrap.platform import Platform
from bootstrap.signin_adapters import SigninAdapters
from bootstrap.unit import Built, Footing, Kernel, Lent, Unit
from bootstrap.units import running
from domain.hooks.kinds import HOOK_KINDS
from domain.mail import hook_kinds
from domain.slots import Slot
from infrastructure.firestore.mail.action_tokens import FirestoreActionTokenRepository
from infrastructure.firestore.mail.new_device_mails import FirestoreNewDeviceMails
from infrastructure.mail.render import JinjaMailRenderer
from infrastructure.mail.smtp import SmtpMailer
from infrastructure.settings import Settings
from infrastructure.settings.identity.mail import MailSettings as MailGroup
from interfaces.web.compiled import catalogues

if TYPE_CHECKING:
    from flask import Blueprint

    from interfaces.web.parts import Pages


def mail_renderer(mail: MailGroup, units: Sequence[str]) -> MailRenderer:
    """The mails, from the templates and catalogues of the core and of ``units`` (the
    running units' names: each one's folder of templates and catalogue, where it has them)."""
    return JinjaMailRenderer(mail.mail_templates_dir, [str(c) for c in catalogues(units)], units)


def text_renderer(mail: MailGroup, units: Sequence[str]) -> TextRenderer:
    """The texts of the phone codes, from the mail templates (``<name>.sms.txt``)."""
    return JinjaMailRenderer(mail.mail_templates_dir, [str(c) for c in catalogues(units)], units)


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
    # The brands a mail about an org may go out under (``MAIL_BRANDS``, what the units lent),
    # held once every unit lent (``lends_late``): a ``MailingJob`` takes them.
    brands: Sequence[MailBrandOf] = ()


def build(footing: Footing) -> MailAdapters:
    """Its adapters (``Unit.makes``) on ``footing``: the memberships' copies of an account's
    token_version, which a password reset moves (prepared by the orgs)."""
    settings, client = footing.settings, footing.client
    copies = footing.offered(TOKEN_VERSION_COPIES)
    return MailAdapters(
        action_tokens=FirestoreActionTokenRepository(client, copies=copies),
        mail_renderer=mail_renderer(settings.group(MailGroup), running(settings)),
        mailer=mailer(settings.group(MailGroup)),
        new_device_mails=FirestoreNewDeviceMails(client),
    )


def mail_settings(settings: Settings) -> MailSettings:
    """What every mail says of the service: its address, its name, its support address."""
    return MailSettings(
        public_url=settings.service.public_url,
        product=settings.branding.site_name,
        support_email=settings.branding.support_email,
    )


def wire(own: MailAdapters, signed_in: SignedIn, shared: Shared) -> MailServices:
    """The mail flows' use cases; ``signed_in.grants``: the provider's, ended with a password
    reset or a takeover's proof; ``shared.hooks.proven``: what follows an address a mailed
    link proves (an org's auto_join)."""
    accounts, signin, rules, platform = (
        signed_in.accounts,
        signed_in.signin,
        signed_in.rules,
        signed_in.platform,
    )
    users, identities, clock, audit = (
        accounts.users,
        accounts.identities,
        platform.clock,
        platform.audit,
    )
    queue, hooks, passwords = shared.queue, shared.hooks, shared.passwords
    passkeys, factors, tokens = signin.passkeys, signin.factors, own.action_tokens
    proof = signed_in.first_proof()
    return MailServices(
        verification=EmailVerification(
            users=users,
            identities=identities,
            first_proof=proof,
            action_tokens=tokens,
            queue=queue,
            clock=clock,
            audit=audit,
            proven=hooks.proven,
        ),
        password_reset=PasswordReset(
            users=users,
            action_tokens=tokens,
            first_proof=proof,
            hasher=accounts.hasher,
            throttle=signin.throttle,
            throttle_policy=rules.throttle_policy,
            queue=queue,
            clock=clock,
            audit=audit,
            proven=hooks.proven,
            hold=rules.hold,
            passwords=passwords,
            legacy=rules.legacy,
        ),
        invitations=AccountInvitations(
            users=users,
            queue=queue,
            clock=clock,
            audit=audit,
            addresses=rules.addresses,
            signups=rules.signups,
        ),
        not_me=NotMeLinks(
            users=users,
            action_tokens=tokens,
            sessions=signin.sessions,
            passkeys=passkeys,
            identities=identities,
            factors=factors,
            queue=queue,
            clock=clock,
            audit=audit,
        ),
    )


def handlers(
    own: MailAdapters,
    settings: Settings,
    *,
    accounts: AccountsAdapters,
    signin: SigninAdapters,
    platform: Platform,
    queue: JobQueue,
    names: ProviderNames,
    app_link: str | None = None,
) -> dict[str, JobHandler]:
    """The jobs of the mail flows by kind: handlers, not use cases (they take the job);
    ``signin``: the sign-in codes' flows, whose mails are sent here; ``names``: the identity
    providers as the notices name them; ``app_link``: the page an app's link opens."""
    users, audit = accounts.users, platform.audit
    send = SendMailJob(
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
    )
    # It queues the reset mail itself, so it needs the queue its handlers run on.
    find = FindResetAccountJob(users=users, queue=queue, audit=audit)
    codes = EmailCodeMailJob(
        flows=signin.email_codes,
        users=users,
        renderer=own.mail_renderer,
        mailer=own.mailer,
        clock=platform.clock,
        audit=audit,
        settings=mail_settings(settings),
        app_link=app_link,
    )
    return {SEND_MAIL: send.run, FIND_RESET_ACCOUNT: find.run, EMAIL_CODE_MAIL: codes.run}


# The mail adapters behind the send_mail hooks (``hooked_mail``), and the identity
# providers as the notices name them (single sign-on's), offered by mail's and single
# sign-on's ``lends`` to the core's ``runs`` and ``build``.
HOOKED_MAIL = Slot[MailAdapters]("the mail behind its hooks")
PROVIDER_NAMES = Slot[ProviderNames]("the identity providers' names")


def runs(_own: MailAdapters, kernel: Kernel) -> Lent:
    """What mail runs once the core's loans are made: its jobs, on its adapters behind the
    send_mail hooks (``HOOKED_MAIL``)."""
    jobs = handlers(
        kernel.offered(HOOKED_MAIL),
        kernel.settings,
        accounts=kernel.adapters_of(AccountsAdapters),
        signin=kernel.adapters_of(SigninAdapters),
        platform=kernel.platform,
        queue=kernel.queue,
        names=kernel.offered(PROVIDER_NAMES),
        app_link=kernel.offered(CODE_WAYS).app_link,
    )
    return Lent(fills=(JOBS(*jobs.items()),))


def account_hooks(platform: Platform, *, queue: JobQueue) -> AccountHooks:
    """The mails that follow a new account and a profile change."""
    mails = MailsAfterChanges(queue=queue, audit=platform.audit)
    return AccountHooks(
        registered=mails.registered,
        registered_with=mails.registered_with,
        changed=mails.changed,
    )


def lends(own: MailAdapters, kernel: Kernel) -> Lent:
    """What mail lends the accounts: the mails that follow a new account and a profile
    change (``CHANGE_HOOKS``); and what it offers the units after it: its adapters behind
    the send_mail hooks (``HOOKED_MAIL``)."""
    return Lent(
        fills=(CHANGE_HOOKS(account_hooks(kernel.platform, queue=kernel.queue)),),
        offers=(HOOKED_MAIL(hooked_mail(own, kernel.offered(HOOK_CALLERS))),),
    )


def lends_late(_own: MailAdapters, kernel: Kernel) -> Lent:
    """Once every unit lent: its adapters behind the send_mail hooks (``HOOKED_MAIL``) offered
    again with the brands the units lent (``MAIL_BRANDS``), which the jobs that mail about
    an org (the orgs' invitations, single sign-on's warnings) take as they run."""
    mail = kernel.offered(HOOKED_MAIL)
    return Lent(offers=(HOOKED_MAIL(replace(mail, brands=kernel.filled(MAIL_BRANDS))),))


def hooked_mail(mail: MailAdapters, hooks: HookCalls) -> MailAdapters:
    """The mail adapters with their mailer behind the send_mail hooks (mail's own kind)."""
    return replace(
        mail, mailer=HookMailer(caller=hooks.caller_for(hook_kinds.SEND_MAIL), smtp=mail.mailer)
    )


def api() -> Sequence[Blueprint]:
    """The mail unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.mail import email  # noqa: PLC0415 - loaded with the app

    return (email.bp,)


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """The per-address request limits of its JSON API routes (docs/security.md)."""
    mail = settings.group(MailGroup)
    return {
        ("POST", "/auth/email/verify"): mail.rate_limit_email_verify,
        ("POST", "/auth/password/forgot"): mail.rate_limit_password_forgot,
        ("POST", "/auth/password/reset"): mail.rate_limit_password_reset,
    }


def pages() -> Pages:
    """The mail's pages: its links' (verify, reset, "not me"), limited as the API's routes,
    and /admin's action that sends a verification mail."""
    from interfaces.shared.limits import LimitedAs  # noqa: PLC0415 - loaded with the app
    from interfaces.web.accounts.admin import ADMIN_ACTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.mail import admin, flows, not_me  # noqa: F401, PLC0415 - loaded with the app
    from interfaces.web.parts import Pages  # noqa: PLC0415 - loaded with the app

    return Pages(
        fills=(ADMIN_ACTIONS(admin.SEND_VERIFICATION),),
        limited_as={
            ("POST", "/verify-email"): LimitedAs(
                "POST", "/auth/email/verify", "email.verify_email"
            ),
            ("POST", "/forgot-password"): LimitedAs(
                "POST", "/auth/password/forgot", "email.forgot_password"
            ),
            ("POST", "/reset-password"): LimitedAs(
                "POST", "/auth/password/reset", "email.reset_password"
            ),
            ("POST", "/not-me"): LimitedAs("POST", "/auth/password/reset", "email.reset_password"),
        },
    )


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above).
def built(_own: MailAdapters, kernel: Kernel) -> Built:
    """Mail's use cases (``wire``), on its adapters behind the send_mail hook
    (``HOOKED_MAIL``) and what else the kernel offers."""
    mail, signed_in = kernel.offered(HOOKED_MAIL), kernel.offered(SIGNED_IN)
    return Built(services=(wire(mail, signed_in, kernel.offered(SHARED)),))


UNIT = Unit[MailAdapters](
    name="mail",
    makes=build,
    lends=lends,
    lends_late=lends_late,
    build=built,
    runs=runs,
    limits=limits,
    optional=False,
    settings=(MailGroup,),
    api=api,
    pages=pages,
    fills=(HOOK_KINDS(hook_kinds.SEND_MAIL),),
)
