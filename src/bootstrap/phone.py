"""The phone unit: sign-in by a code texted to a phone number, the change of the account's
number, the texts' budget, the ``send_sms`` hook kind, the ``phone_number`` claims
(docs/sign-in-with-a-phone-number.md, docs/reference/phone.md). The account's number itself is
the accounts' (docs/decisions/0755-the-accounts-phone-number-stays-the-accounts.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from application.hooks.caller import HOOK_CALLERS
from application.hooks.hooked import HookTexter
from application.jobs import JOBS
from application.phone.change import PHONE_CHANGE, PHONE_CHANGE_TEXT, PHONE_CHANGE_WAY, PhoneChanges
from application.phone.codes import (
    PHONE_CODE_TEXT,
    PHONE_WAY,
    PhoneCodes,
    PhoneCodeTextJob,
    TextSettings,
)
from application.phone.ports import PhoneNumbers
from application.phone.sms_budget import HourlySmsBudget, SmsCounts
from application.signin.codes.flow import CodeFlowStore
from application.signin.codes.links import APP_LINKS, LinkChannel
from application.signin.codes.ways import CODE_WAYS
from bootstrap.mail import text_renderer
from bootstrap.unit import Built, Kernel, Lent, Unit
from bootstrap.units import running
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.hooks.kinds import HOOK_KINDS
from domain.phone.claims import PHONE_CLAIMS
from domain.phone.hook_kinds import SEND_SMS
from domain.signin.claims.sources import CLAIM_SOURCES
from domain.signin.codes.flows import Channel
from infrastructure.firestore.phone.sms_counts import FirestoreSmsCounts
from infrastructure.firestore.signin.codes import FirestoreCodeFlows
from infrastructure.phone.numbers import LibPhoneNumbers
from infrastructure.phone.settings import PhoneSettings
from infrastructure.settings.identity.mail import MailSettings
from infrastructure.settings.identity.signin import SignInSettings

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings
    from interfaces.web.parts import Pages


@dataclass(frozen=True, kw_only=True)
class PhoneAdapters:
    """The phone unit's adapters: the flows of the sign-in codes and of an account's new
    number (keyed by the account), a number's parsing, and the texts' shared counters."""

    codes: CodeFlowStore
    changes: CodeFlowStore
    numbers: PhoneNumbers
    counts: SmsCounts


def adapters(settings: Settings, client: Client) -> PhoneAdapters:
    return PhoneAdapters(
        codes=FirestoreCodeFlows(client, Channel.PHONE),
        changes=FirestoreCodeFlows(client, Channel.PHONE, change=True),
        numbers=LibPhoneNumbers(default_region=settings.group(PhoneSettings).phone_default_region),
        counts=FirestoreSmsCounts(client),
    )


def lends(own: PhoneAdapters, kernel: Kernel) -> Lent:
    """Its jobs: the text of a sign-in code and of a new number's, through the send_sms
    hooks, written from its templates (mail's ``templates/phone/<name>.sms.txt``) and
    catalogues (the core's and its own)."""
    settings, platform = kernel.settings, kernel.platform
    job = PhoneCodeTextJob(
        flows=own.codes,
        users=kernel.offered(CODE_WAYS).users,
        renderer=text_renderer(settings.group(MailSettings), running(settings)),
        sender=HookTexter(caller=kernel.offered(HOOK_CALLERS).caller_for(SEND_SMS)),
        clock=platform.clock,
        audit=platform.audit,
        settings=TextSettings(
            product=settings.branding.site_name,
            public_url=settings.service.public_url,
            app_link=kernel.offered(CODE_WAYS).app_link,
        ),
    )
    change = replace(job, flows=own.changes, kind=PHONE_CHANGE)
    return Lent(fills=(JOBS((PHONE_CODE_TEXT, job.run), (PHONE_CHANGE_TEXT, change.run)),))


def build(own: PhoneAdapters, kernel: Kernel) -> Built:
    """Sign-in by a texted code (on with PHONE_SIGN_IN and a send_sms hook) and the change of
    the account's number, on the one code flow's steps; SMS_BUDGETS, SMS_ENABLED,
    SMS_ACCOUNTS_SHARE over the shared counters; its texts' links added to those an app
    redeems (``APP_LINKS``)."""
    codes, phone, platform = (
        kernel.offered(CODE_WAYS),
        kernel.settings.group(PhoneSettings),
        kernel.platform,
    )
    steps = codes.steps
    if steps is None:
        raise RuntimeError("the phone unit is built once the core is bound (CODE_WAYS)")
    budget = HourlySmsBudget(
        counts=own.counts,
        budgets=phone.budgets,
        clock=platform.clock,
        metrics=platform.metrics,
        enabled=phone.sms_enabled,
        accounts_share=phone.sms_accounts_share,
    )
    phone_codes = PhoneCodes(
        steps=steps(PHONE_WAY, own.codes),
        numbers=own.numbers,
        budget=budget,
        texts=HookTexter(caller=kernel.offered(HOOK_CALLERS).caller_for(SEND_SMS)),
        enabled=phone.phone_sign_in,
        region=phone.phone_default_region,
    )
    changes = PhoneChanges(
        steps=steps(PHONE_CHANGE_WAY, own.changes),
        phone=phone_codes,
        identities=codes.identities,
        passkeys=codes.passkeys,
    )
    # Its texts' links, which an app redeems as the mail's (docs/reference/app-links.md)
    links = kernel.offered(APP_LINKS).with_channel(
        LinkChannel(redeem=phone_codes.redeem, shown=phone_codes.shown)
    )
    return Built(services=(phone_codes, changes), offers=(APP_LINKS(links),))


def api() -> Sequence[Blueprint]:
    """Its JSON API: the account's number (before the sign-in codes, as it was registered)
    and the sign-in by a texted code."""
    from interfaces.http.routes.phone import account, codes  # noqa: PLC0415 - loaded with the app

    return (account.bp, codes.bp)


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """A code by text: a budget of its own per client, apart from a mailed one's; its check
    as a login's (docs/security.md)."""
    login = settings.group(SignInSettings).rate_limit_login
    return {
        ("POST", "/auth/phone-code"): settings.group(PhoneSettings).rate_limit_phone_code,
        ("POST", "/auth/phone-code/verify"): login,
        ("POST", "/user/phone/verify"): login,  # an account's new number's code
    }


def pages() -> Pages:
    """Its pages: the texted code's sign-in, the number on the profile, the sign-in page's
    "Text me a code", and its forms limited as the API's routes."""
    from interfaces.shared.limits import LimitedAs  # noqa: PLC0415 - loaded with the app
    from interfaces.web.accounts.account import PROFILE_PARTS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import Pages  # noqa: PLC0415 - loaded with the app
    from interfaces.web.phone import codes, number  # noqa: PLC0415 - loaded with the app
    from interfaces.web.signin.signed_out import SIGN_IN_LINKS  # noqa: PLC0415 - loaded with the app

    return Pages(
        fills=(PROFILE_PARTS(number.number_reads), SIGN_IN_LINKS(codes.sign_in_link)),
        hook_purposes={SEND_SMS.name: codes.SEND_SMS_PURPOSE},
        limited_as={
            ("POST", "/sign-in/phone-code"): LimitedAs(
                "POST", "/auth/phone-code", "phone_code.request_phone_code"
            ),
            ("POST", "/sign-in/phone-code/verify"): LimitedAs(
                "POST", "/auth/phone-code/verify", "phone_code.verify_phone_code"
            ),
        },
    )


# Its routes that make or change what outlasts a session (the account's phone number), by kind:
# a session of support access is refused them (the accounts' ``OUTLASTING_ROUTES``).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.ADDRESSES,
        (
            ("POST", "/user/phone/verify"),
            ("DELETE", "/user/phone"),
            ("POST", "/account/phone"),
            ("POST", "/account/phone/again"),
            ("POST", "/account/phone/verify"),
            ("POST", "/account/phone/remove"),
        ),
    ),
)


UNIT = Unit[PhoneAdapters](
    name="phone",
    adapters=adapters,
    lends=lends,
    build=build,
    api=api,
    limits=limits,
    settings=(PhoneSettings,),
    pages=pages,
    fills=(HOOK_KINDS(SEND_SMS), CLAIM_SOURCES(*PHONE_CLAIMS), _OUTLASTING),
)
