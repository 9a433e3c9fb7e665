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
from typing import TYPE_CHECKING, Any

from flask import Response

from domain.slots import Filling, Slot, filled
from interfaces.shared.limits import LimitedAs, Route

if TYPE_CHECKING:
    from flask_babel.speaklater import LazyString


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

    # Its parts of the pages the capabilities share, in the slots their owners declare
    # beside them: the account area's sections, header and profile parts
    # (interfaces/web/accounts/account.py: ``ACCOUNT_SECTIONS``, ``HEADER_PARTS``,
    # ``PROFILE_PARTS``), /admin's (accounts/admin.py: ``ADMIN_PARTS``, ``ADMIN_USER_PARTS``,
    # ``ADMIN_ACTIONS``), an org's page's sections (orgs/org.py: ``ORG_SECTIONS``), the
    # sign-in page's other providers, home-realm discovery and other ways in by a link
    # (signin/signed_out.py: ``UPSTREAMS``, ``HOME_REALMS``, ``SIGN_IN_LINKS``)
    fills: Sequence[Filling[Any]] = ()
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

    def of[T](self, slot: Slot[T]) -> tuple[T, ...]:
        """What the units put in ``slot`` (of the fold: every unit's, in the units' order)."""
        return filled((self,), slot)


def folded(units: Iterable[Pages]) -> Pages:
    """Every unit's pages as one, in the units' order. Two units that limit one route, or
    give a message of one code, stop the start."""
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
    return Pages(
        fills=tuple(filling for pages in every for filling in pages.fills),
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
