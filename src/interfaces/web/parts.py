"""What a unit adds to the pages (``Unit.pages`` in bootstrap/unit.py loads it): its page
modules, loaded by the function that makes its ``Pages``, and its parts of the pages that
gather the capabilities' (the account area, an org's page, the sign-in page, /admin), their
limited forms, and the hooks of every page. The web adapter folds every unit's ``Pages``
(``folded``) and hands the fold to the frames' owners (``Pages.frames``): it names no
capability (docs/contributing.md, "Units";
docs/decisions/0730-the-pages-sections-keep-their-place.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Response

from interfaces.shared.limits import LimitedAs, Route

if TYPE_CHECKING:
    from flask_babel.speaklater import LazyString

    from interfaces.web.accounts.account import Reads, Section
    from interfaces.web.accounts.admin import PagePart, UserAction
    from interfaces.web.orgs.org import OrgSection
    from interfaces.web.signin.signed_out import Buttons, HomeRealm, SignInLink


@dataclass(frozen=True)
class At[T]:
    """A section at its place in its page's navigation: the sections of every unit are
    shown by ``place``, lowest first
    (docs/decisions/0730-the-pages-sections-keep-their-place.md)."""

    place: int
    part: T


def in_place[T](placed: Iterable[At[T]]) -> tuple[T, ...]:
    """The parts by their place; two at one place keep the units' order."""
    return tuple(at.part for at in sorted(placed, key=lambda at: at.place))


# A hook of every request before its route: a browser's answer in place of the route's, or None
Before = Callable[[], Response | None]


@dataclass(frozen=True, kw_only=True)
class Pages:
    """One unit's contributions to the pages. Its page modules add their routes to the
    pages' blueprint (``rendering.bp``) as they are imported, by the function that makes
    this record; what they add to the pages the capabilities share is here, as data."""

    # The account area's sections (install_area), its header's parts and the profile's
    account_sections: Sequence[At[Section]] = ()
    header: Sequence[Reads] = ()
    profile: Sequence[Reads] = ()
    # An org's page's sections (install_org_page)
    org_sections: Sequence[At[OrgSection]] = ()
    # The sign-in page's other providers' buttons and home-realm discovery (install_sign_in)
    upstreams: Sequence[Buttons] = ()
    home_realm: HomeRealm | None = None
    # The sign-in page's other ways in by a link ("Text me a code"), each read on every
    # page: its path and label, or None while it is off (install_sign_in)
    sign_in_links: Sequence[SignInLink] = ()
    # What /admin and an account's admin page show, and the actions on an account (in the
    # units' order: one address each) (install_admin)
    admin_parts: Sequence[PagePart] = ()
    admin_user_parts: Sequence[PagePart] = ()
    admin_actions: Sequence[UserAction] = ()
    # What /admin/hooks/auth says of each hook kind it lends (``HOOK_KINDS``): when
    # firegate calls it, by the kind's name (install_purposes)
    hook_purposes: Mapping[str, LazyString] = field(default_factory=dict)
    # Its pages' routes that count against an API route's per-address limit, with the
    # same counters (docs/pages.md): two doors are not twice the budget
    limited_as: Mapping[Route, LimitedAs] = field(default_factory=dict)
    # Hooks: before each request (a browser's navigation to an API address sent to its
    # page), after each page (before its cookies and headers), and what each page's
    # templates read (support access's banner and the fields it may not change)
    before_request: Sequence[Before] = ()
    after_page: Sequence[Callable[[Response], Response]] = ()
    page_context: Sequence[Callable[[], Mapping[str, object]]] = ()
    # What a page says about its error codes, by code, where the shared messages say nothing
    # (interfaces/web/messages.py)
    messages: Mapping[str, LazyString] = field(default_factory=dict)
    # Its templates shown at a named place of a page the capabilities share, with that
    # page's context: the place's template includes each of ``included(place)``, in the
    # units' order ("banner": above every page's layout; "admin_user": an account's admin
    # page; "org_member": each member of an org's members' section)
    includes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # The frames this unit owns, each handed every unit's parts once (``folded``): the
    # account area's and /admin's (accounts), an org's page (orgs), the sign-in page (signin)
    frames: Sequence[Callable[[Pages], None]] = ()


def folded(units: Iterable[Pages]) -> Pages:
    """Every unit's pages as one, in the units' order; the sections by their place. Two
    units that limit one route, or give home-realm discovery both, stop the start."""
    every = tuple(units)
    limited: dict[Route, LimitedAs] = {}
    for pages in every:
        for route, limited_as in pages.limited_as.items():
            if route in limited:
                raise ValueError(f"two units' pages limit {route[0]} {route[1]}")
            limited[route] = limited_as
    messages: dict[str, LazyString] = {}
    for pages in every:
        for code, words in pages.messages.items():
            if code in messages:
                raise ValueError(f"two units' pages give a message of {code}")
            messages[code] = words
    realms = [pages.home_realm for pages in every if pages.home_realm is not None]
    if len(realms) > 1:
        raise ValueError("two units' pages give home-realm discovery")
    return Pages(
        # renumbered in place: the fold's own places are its order
        account_sections=_renumbered(at for pages in every for at in pages.account_sections),
        header=tuple(part for pages in every for part in pages.header),
        profile=tuple(part for pages in every for part in pages.profile),
        org_sections=_renumbered(at for pages in every for at in pages.org_sections),
        upstreams=tuple(part for pages in every for part in pages.upstreams),
        home_realm=realms[0] if realms else None,
        sign_in_links=tuple(link for pages in every for link in pages.sign_in_links),
        admin_parts=tuple(part for pages in every for part in pages.admin_parts),
        admin_user_parts=tuple(part for pages in every for part in pages.admin_user_parts),
        admin_actions=tuple(action for pages in every for action in pages.admin_actions),
        hook_purposes={
            name: purpose for pages in every for name, purpose in pages.hook_purposes.items()
        },
        limited_as=limited,
        messages=messages,
        before_request=tuple(hook for pages in every for hook in pages.before_request),
        after_page=tuple(hook for pages in every for hook in pages.after_page),
        page_context=tuple(read for pages in every for read in pages.page_context),
        includes={
            place: tuple(name for pages in every for name in pages.includes.get(place, ()))
            for place in dict.fromkeys(place for pages in every for place in pages.includes)
        },
        frames=tuple(frame for pages in every for frame in pages.frames),
    )


def _renumbered[T](placed: Iterable[At[T]]) -> tuple[At[T], ...]:
    return tuple(At(place, part) for place, part in enumerate(in_place(placed)))
