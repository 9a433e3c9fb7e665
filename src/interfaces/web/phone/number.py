"""The account's phone number on the profile (docs/pages.md, "The account area";
docs/reference/phone.md, "Changing and removing the number"): the number or none, a form that
texts a code to a new one, the code's form and a new code to the same number while a change
is live, and the number's removal.
Shown while phone sign-in is on, or when the account has a number; the web adapter's
composition hands its reads to the profile (interfaces/web/accounts/account.py)."""

from __future__ import annotations

from flask import Response

from application.phone.change import (
    ChangePhoneNumber,
    GetPhoneChange,
    PhoneChanges,
    ProvePhoneNumber,
    RemovePhoneNumber,
)
from application.signin.authentication import Actor
from interfaces.shared.languages import accepted_locale
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web.accounts.account import PROFILE, account_form, done, signed_in
from interfaces.web.forms import field
from interfaces.web.rendering import bp


def number_reads(actor: Actor) -> dict[str, object]:
    """The profile's part: whether a number may be changed, and a live change's number."""
    return {"phone": services().of(PhoneChanges).state(GetPhoneChange(actor))}


def _change(actor: Actor) -> Response:
    services().of(PhoneChanges).request(
        ChangePhoneNumber(
            actor=actor,
            phone_number=field("phone_number"),
            client_ip=client_ip(),
            locale=accepted_locale(),
            challenge_token=field("challenge_token", required=False),
        )
    )
    return done("phone-sent", PROFILE)


@bp.post("/account/phone")
@signed_in
@account_form("phone", PROFILE)
def change_phone_number(actor: Actor) -> Response:
    return _change(actor)


@bp.post("/account/phone/again")
@signed_in
@account_form("phone-again", PROFILE)
def text_the_new_number_again(actor: Actor) -> Response:
    """A new code to the number a live change waits for (its form names it): a form of its
    own, so that what refuses it is said beside its button."""
    return _change(actor)


@bp.post("/account/phone/verify")
@signed_in
@account_form(
    "phone-code",
    PROFILE,
    placed={
        "invalid_phone_code": "code",
        "invalid_phone_flow": "code",
        "phone_number_taken": "code",
    },
)
def prove_phone_number(actor: Actor) -> Response:
    code = field("code").strip()
    services().of(PhoneChanges).verify(
        ProvePhoneNumber(actor=actor, code=code, client_ip=client_ip())
    )
    return done("phone", PROFILE)


@bp.post("/account/phone/remove")
@signed_in
@account_form("phone-remove", PROFILE)
def remove_phone_number(actor: Actor) -> Response:
    services().of(PhoneChanges).remove(RemovePhoneNumber(actor=actor))
    return done("phone-removed", PROFILE)
