"""The account area (docs/pages.md, "The account area"): the signed-in person's sections,
each at its own address with the area's navigation: Profile (/account: the profile, language
and time zone), Sign-in and security (password, passkeys, two-step sign-in), Devices and
sessions, Apps and tokens, Activity (with "This wasn't me") and Delete
(docs/decisions/0261-account-sections.md). Each form posts to /account/...; a done change
leads back to its section (303) with a word of confirmation, a refused one shows its section
again with the message beside its field (``errors.py``).

This module is the area: its frame (the header, the guard, the routing of each section's
address) and the sections that are the account's own (Profile, Delete). Each capability
defines its sections and their forms in its own pages' package (interfaces/web/signin/,
provider/, events/, orgs/), placed by its unit's record (``Unit.pages``); the web adapter
hands every unit's to the area (``install_area``, the accounts unit's frame)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from flask import Response, request

from application.accounts.accounts import Caller, DeleteUser, GetUser, UpdateProfile
from application.accounts.services import AccountServices
from domain.accounts.attributes import Attribute, AttributeValue
from domain.accounts.credentials import made_for_the_account
from domain.accounts.profile import PROFILE_TEXTS
from domain.accounts.users import User
from domain.errors import InvalidInput
from domain.slots import Slot
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser, shown, translated
from interfaces.web.forms import field, form_errors
from interfaces.web.parts import At
from interfaces.web.rendering import bp, see_other

WRONG_PASSWORD = "invalid_current_password"
PERSON = "user"  # who writes the profile's attributes on these pages: the person

AccountView = Callable[..., Response]
# What a section reads for the signed-in Actor (application/signin/authentication.py)
Reads = Callable[..., Mapping[str, object]]
# What the capabilities add to the header of every section, handed in by ``install_area``
_HEADER: list[Reads] = []
# What the capabilities add to the profile (sign-in's: the phone number), the same way
_PROFILE: list[Reads] = []


def header(actor: Caller) -> dict[str, object]:
    # Every section names the account (and offers /admin to an admin): read with the session;
    # and what the capabilities add to it: the orgs' switcher (docs/pages.md, "Organizations").
    shown: dict[str, object] = {"user": services().of(AccountServices).accounts.get(GetUser(actor))}
    for part in _HEADER:
        shown.update(part(actor))
    return shown


@dataclass(frozen=True)
class Section:
    """One section of the account area: its address, its template, what it reads, and
    whether it shows the account's authenticator (read with the session, ``showing_account``)."""

    path: str
    template: str
    reads: Reads
    with_factor: bool = False


@dataclass(frozen=True)
class AttributeField:
    """An attribute on the profile's form: the schema's, its value as the form shows it."""

    attribute: Attribute
    shown: str


def _form_text(value: AttributeValue | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _attribute_fields(user: User) -> list[AttributeField]:
    """The attributes the person may write (docs/reference/accounts.md, "Profile
    attributes")."""
    writable = services().of(AccountServices).profile_schemas.writable(user, PERSON)
    return [AttributeField(attribute, _form_text(value)) for attribute, value in writable]


def _attribute_facts(user: User) -> list[AttributeField]:
    """The attributes the person may read but not write, shown read-only beside the form
    (docs/reference/accounts.md, "Profile attributes"); "" where none is set."""
    read_only = services().of(AccountServices).profile_schemas.read_only(user, PERSON)
    return [AttributeField(attribute, _form_text(value)) for attribute, value in read_only]


def profile_reads(actor: Caller) -> dict[str, object]:
    shown = header(actor)
    user = (
        services().of(AccountServices).accounts.get(GetUser(actor))
    )  # the header's, read with the session
    for part in _PROFILE:
        shown.update(part(actor))
    return {
        **shown,
        "attribute_fields": _attribute_fields(user),
        "attribute_facts": _attribute_facts(user),
        # A name made for an account signed up without an address: the person is invited to
        # choose their own (docs/pages.md, "The account area")
        "made_username": user.username is not None and made_for_the_account(user.username.value),
    }


PROFILE = Section("/account", "accounts/account_profile.html", profile_reads)
DELETE = Section("/account/delete", "accounts/account_delete.html", header)


def _guarded(view: AccountView, *, with_factor: bool) -> AccountView:
    @wraps(view)
    def wrapper(*args: object, **kwargs: object) -> Response:
        actor = browser.signed_in(with_factor=with_factor)
        if actor is None:
            here = request.path if request.method == "GET" else PROFILE.path
            return see_other("/sign-in?" + urlencode({"next": here}))
        return view(actor, *args, **kwargs)

    return wrapper


def signed_in(view: AccountView) -> AccountView:
    """The view gets the signed-in ``actor``; a signed-out browser goes to sign in first."""
    return _guarded(view, with_factor=False)


def signed_in_with_factor(view: AccountView) -> AccountView:
    """``signed_in``, with the account's authenticator read in the same round trip."""
    return _guarded(view, with_factor=True)


def account_form(
    form_id: str,
    section: Section,
    *,
    renamed: Mapping[str, str] | None = None,
    placed: Mapping[str, str] | None = None,
    also: Callable[..., Mapping[str, object]] | None = None,
) -> Callable[[AccountView], AccountView]:
    """``form_errors`` of a form of ``section``: a refused one re-renders the section
    (with ``also``'s, called with the route's arguments); one that needs a recent sign-in
    comes back to the section after it."""

    def shown(actor: Caller, *args: object, **kwargs: object) -> Mapping[str, object]:
        extra = also(actor, *args, **kwargs) if also is not None else {}
        return {**section.reads(actor), **extra}

    return form_errors(
        section.template,
        form_id=form_id,
        renamed=renamed,
        placed=placed,
        shown=shown,
        back=section.path,
    )


def section_page(actor: Caller, section: Section, **shown: object) -> Response:
    """A section of the account area; ``shown``: what this answer alone shows (a new secret,
    new codes)."""
    html = translated.render(section.template, form={}, **shown, **section.reads(actor))
    return Response(html)


def done(what: str, section: Section) -> Response:
    """Back to ``section``, which says ``what`` was done."""
    return see_other(section.path + "?" + urlencode({"done": what}))


def _section_route(section: Section) -> None:
    def show(actor: Caller) -> Response:
        return section_page(actor, section)

    show.__name__ = "account" if section is PROFILE else f"account_{section.template[8:-5]}"
    bp.get(section.path)(_guarded(show, with_factor=section.with_factor))


def install_area(
    sections: Sequence[Section], *, header: Sequence[Reads] = (), profile: Sequence[Reads] = ()
) -> None:
    """The area's sections at their addresses, in the order of its navigation, and what the
    capabilities add to its header and to the profile: called once, by the web adapter's
    composition."""
    _HEADER.extend(header)
    _PROFILE.extend(profile)
    for section in sections:
        _section_route(section)


@bp.get("/account/profile")
def profile_address() -> Response:
    """The profile's other address (where its form posts): the profile is /account."""
    return see_other(PROFILE.path)


@bp.post("/account/profile")
@signed_in
@account_form("profile", PROFILE)
def save_profile(actor: Caller) -> Response:
    user = services().of(AccountServices).accounts.get(GetUser(actor))
    changes: list[tuple[str, str | None]] = [("username", field("username"))]
    email = field("email", required=user.email is not None)
    if email:  # an account without an address may keep having none
        changes.append(("email", email))
    changes += [(text, field(text, required=False) or None) for text in PROFILE_TEXTS]
    # As PATCH /user: only the fields given change.
    cmd = UpdateProfile(actor.user_id, tuple(changes), acting_admin_id=actor.acting_admin_id)
    services().of(AccountServices).accounts.update_profile(cmd)
    return done("profile", PROFILE)


def _form_value(attribute: Attribute, text: str) -> object:
    """What the form's text of ``attribute`` stands for: a number or true/false where the
    attribute takes one (the schema's check says what else is wrong); empty, none."""
    if not text:
        return None
    try:
        if attribute.kind == "integer":
            return int(text)
        if attribute.kind == "number":
            return float(text)
    except ValueError:
        return text
    if attribute.kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


@bp.post("/account/attributes")
@signed_in
@account_form("attributes", PROFILE)
def save_attributes(actor: Caller) -> Response:
    """The attributes changed on the form, as PATCH /user writes them: one left as it was is
    not written again (a narrowed schema refuses only new values)."""
    user = services().of(AccountServices).accounts.get(GetUser(actor))
    changes = [
        (each.attribute.name, _form_value(each.attribute, typed))
        for each in _attribute_fields(user)
        if (typed := field(f"attributes.{each.attribute.name}", required=False).strip())
        != each.shown
    ]
    cmd = UpdateProfile(actor.user_id, (), attributes=tuple(changes))
    services().of(AccountServices).accounts.update_profile(cmd)
    return done("attributes", PROFILE)


@bp.post("/account/language")
@signed_in
@account_form("language", PROFILE)
def set_language(actor: Caller) -> Response:
    locale = field("locale", required=False) or None  # none: the browser's
    services().of(AccountServices).accounts.update_profile(
        UpdateProfile(actor.user_id, (("locale", locale),))
    )
    return done("language", PROFILE)


@bp.post("/account/time-zone")
@signed_in
@account_form("time-zone", PROFILE)
def set_time_zone(actor: Caller) -> Response:
    zone = field("time_zone", required=False) or None  # none: the browser's
    if zone is not None and zone not in shown.ZONES:
        raise InvalidInput.field("time_zone", "Not a time zone.", "unsupported_time_zone")
    services().of(AccountServices).accounts.update_profile(
        UpdateProfile(actor.user_id, (("time_zone", zone),))
    )
    return done("time-zone", PROFILE)


@bp.post("/account/delete")
@signed_in
@account_form("delete", DELETE, placed={WRONG_PASSWORD: "password"})
def delete_account(actor: Caller) -> Response:
    password = field("password")
    services().of(AccountServices).accounts.delete(
        DeleteUser(actor, password=password, client_ip=client_ip())
    )
    response = see_other("/sign-in?deleted=1")
    browser.end(response)
    return response


# The account area's slots, which the units fill through their pages (``Pages.fills``): its
# sections at their places, its header's parts and the profile's.
ACCOUNT_SECTIONS = Slot[At[Section]]("the account area's sections")
HEADER_PARTS = Slot[Reads]("the account area's header parts")
PROFILE_PARTS = Slot[Reads]("the profile's parts")
