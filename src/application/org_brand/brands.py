"""An org's brand as its owners set it and its members read it (``PUT``, ``GET``, ``DELETE
/orgs/{org}/brand``), its logo as firegate serves it, and the brand the pages and mails about
the org wear, read through a short per-process cache (docs/org-brand.md,
docs/reference/org-brand.md).

A display name may not read like the service's (SITE_NAME), another org's slug, or another
org's brand: the last is made atomic by the store, which claims the name's look-alike key in
the commit that writes the brand (docs/decisions/0886-what-a-brand-may-not-look-like.md)."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from application.orgs.joining.domains import domain_or_none
from application.orgs.orgs import member_view
from application.orgs.ports import OrgDomainReads, OrgPart, OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.signin.authentication import Actor
from domain.accounts.credentials import fold, look_alike_key
from domain.confusables import skeleton
from domain.errors import FieldError, InvalidInput
from domain.ids import is_id
from domain.org_brand.brand import (
    SVG,
    Brand,
    ContrastWithWhite,
    Logo,
    brand_look_alike,
    brand_not_found,
    checked_colors,
    checked_name,
    logo_of,
)
from domain.orgs.orgs import is_slug_shaped
from domain.orgs.roles import Permission

# The audit log's ``org.updated`` names what changed by this word
BRAND = "brand"
CACHE_SECONDS = 60  # how long a worker keeps an org's brand as read (docs/decisions/0887)
CACHE_SIZE = 1024  # the orgs' brands a worker keeps at most
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class BrandStore(OrgPart, Protocol):
    """``org_brands/{org_id}`` (the brand) and ``brand_names/{key}`` (``{"org_id"}``: the
    claim that makes a look-alike key one org's brand's)."""

    def get(self, org_id: str) -> Brand | None:
        """The org's brand; None if it has none."""
        ...

    def put(self, brand: Brand) -> Brand:
        """Store the org's brand and claim its ``look_alike`` key in one commit, freeing the
        key its brand held before; Conflict ``brand_look_alike`` when another org's brand
        holds the key (of many orgs racing for one key, one wins)."""
        ...

    def delete(self, org_id: str) -> bool:
        """Delete the org's brand and free its key; whether there was one."""
        ...


class SvgCheck(Protocol):
    def check(self, data: bytes) -> None:
        """Raise InvalidInput (``logo_url``, ``invalid_brand_logo``) unless ``data`` is an SVG
        document without a DTD or entities, scripts, event handlers or references outside
        itself."""
        ...


@dataclass(frozen=True)
class BrandQuery:
    actor: Actor
    org: str  # an id or a slug


@dataclass(frozen=True)
class SetBrand:
    actor: Actor
    org: str
    display_name: object  # as sent: checked here
    logo_url: object
    color: object
    dark_color: object = None


@dataclass(frozen=True)
class DeleteBrand:
    actor: Actor
    org: str


@dataclass(kw_only=True)
class BrandCache:
    """The brands this worker read lately, by the name they were asked by (an org's id, its
    slug, a verified domain), each kept ``seconds`` (an org without one too), at most ``size``
    (the oldest read make way): a page or mail about an org costs no read most of the time;
    a change made through this worker is seen at once, one made through another within
    ``seconds`` (docs/decisions/0887-a-brand-read-is-kept-a-minute.md)."""

    clock: Callable[[], float] = time.monotonic  # seconds, of this process's own
    seconds: int = CACHE_SECONDS
    size: int = CACHE_SIZE
    _kept: OrderedDict[str, tuple[float, Brand | None]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, name: str, load: Callable[[], Brand | None]) -> Brand | None:
        now = self.clock()
        with self._lock:
            kept = self._kept.get(name)
            if kept is not None and kept[0] > now:
                self._kept.move_to_end(name)
                return kept[1]
        brand = load()
        with self._lock:
            self._kept[name] = (now + self.seconds, brand)
            self._kept.move_to_end(name)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return brand

    def forget(self) -> None:
        """Nothing kept: a brand changed through this worker."""
        with self._lock:
            self._kept.clear()


@dataclass(frozen=True, kw_only=True)
class OrgBrands:
    """An org's brand: its owners set and delete it (404 ``org_not_found`` for a non-member,
    403 ``org_permission_denied`` for a member who is no owner), its members read it.
    ``contrast_with_white``: the check the operator's BRAND_COLOR passes; ``site_name``:
    the operator's name, which no brand may read like."""

    orgs: OrgRepository
    brands: BrandStore
    svg: SvgCheck
    contrast_with_white: ContrastWithWhite
    site_name: str
    clock: Clock
    audit: AuditLog
    cache: BrandCache
    domains: OrgDomainReads

    def brand(self, query: BrandQuery) -> Brand:
        seen = member_view(query.actor, query.org, orgs=self.orgs)
        brand = self.brands.get(seen.org.id)
        if brand is None:
            raise brand_not_found()
        return brand

    def set_brand(self, cmd: SetBrand) -> Brand:
        """Check every field (422 with each bad one), then the name's look-alikes (409
        ``brand_look_alike``), then store it, and ``org.updated`` after it."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_OWNERS)
        refusals = _Refusals()
        name = refusals.run(lambda: checked_name(cmd.display_name), "")
        logo = refusals.run(lambda: self._logo(cmd.logo_url), Logo("", b""))
        color, dark_color = refusals.run(
            lambda: checked_colors(cmd.color, cmd.dark_color, self.contrast_with_white), ("", "")
        )
        refusals.done()
        brand = Brand(
            org_id=seen.org.id,
            display_name=name,
            logo=logo,
            color=color,
            dark_color=dark_color,
            updated_at=self.clock.now(),
        )
        self._refuse_look_alikes(brand, own=(seen.org.slug.value, seen.org.name))
        event = AuditEvent(
            Audit.ORG_UPDATED, user_id=cmd.actor.user_id, org_id=seen.org.id, reason=BRAND
        )
        stored = self.brands.put(brand)
        self.cache.forget()
        self.audit.record(event)
        return stored

    def delete_brand(self, cmd: DeleteBrand) -> None:
        """The operator's brand again (idempotent: none is none)."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_OWNERS)
        event = AuditEvent(
            Audit.ORG_UPDATED, user_id=cmd.actor.user_id, org_id=seen.org.id, reason=BRAND
        )
        if self.brands.delete(seen.org.id):
            self.audit.record(event)
        self.cache.forget()

    def shown(self, org_id: str) -> Brand | None:
        """The brand the pages and mails about the org ``org_id`` wear (read through the
        cache): anyone who sees a page of a flow about the org sees it."""
        if not is_id(org_id):
            return None  # names no org (a logo's URL as typed): nothing read
        return self.cache.get(f"id:{org_id}", lambda: self.brands.get(org_id))

    def shown_by_slug(self, id_or_slug: str) -> Brand | None:
        """``shown`` of the org a request names by its slug or id (``?org=``,
        ``organization``)."""
        if not (is_slug_shaped(id_or_slug) or is_id(id_or_slug)):
            return None  # names no org: nothing read

        def load() -> Brand | None:
            org = self.orgs.find(id_or_slug)
            return self.brands.get(org.id) if org is not None else None

        return self.cache.get(f"org:{id_or_slug}", load)

    def shown_by_domain(self, domain: str) -> Brand | None:
        """``shown`` of the org that verified ``domain`` (an address's, at SSO discovery)."""
        if not domain:
            return None

        def load() -> Brand | None:
            name = domain_or_none(domain)
            holder = self.domains.holder(name) if name is not None else None
            return self.brands.get(holder) if holder else None

        return self.cache.get(f"domain:{domain.lower()}", load)

    def logo(self, org_id: str) -> Logo | None:
        """The org's logo as served from firegate's own origin (anyone: the pages show it
        before a sign-in)."""
        brand = self.shown(org_id)
        return brand.logo if brand is not None else None

    def _logo(self, value: object) -> Logo:
        logo = logo_of(value)
        if logo.media_type == SVG:
            self.svg.check(logo.data)
        return logo

    def _refuse_look_alikes(self, brand: Brand, own: tuple[str, str]) -> None:
        """409 when the name reads like SITE_NAME (even an org's own slug or name), or like
        another org's slug (an org's own slug or name may be its brand's). Another org's
        brand is the store's claim."""
        key = brand.look_alike
        if key == look_alike_key(self.site_name):  # an org named so included
            raise brand_look_alike()
        if key in {look_alike_key(name) for name in own}:
            return
        for slug in slugs_like(brand.display_name):
            other = self.orgs.find(slug)
            if other is not None and other.id != brand.org_id:
                raise brand_look_alike()


def slugs_like(name: str) -> set[str]:
    """The slugs an org would read like ``name`` by: its ASCII form (folded, each other
    letter by its UTS #39 prototype where that is ASCII) and its look-alike key, each with
    its words joined by "-" and by nothing (docs/decisions/0886)."""
    folded = fold(name)
    ascii_form = "".join(
        ch if ch.isascii() else (skeleton(ch) if skeleton(ch).isascii() else ch) for ch in folded
    ).lower()
    found: set[str] = set()
    for form in (ascii_form, look_alike_key(name)):
        words = [word for word in _NOT_SLUG.split(form) if word]
        found |= {"-".join(words), "".join(words)}
    return {slug for slug in found if is_slug_shaped(slug)}


class _Refusals:
    """The checks of one request, each run; their refusals said at once (``InvalidInput.of``),
    as one code where they share it (two colours too dark: ``brand_contrast``)."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run[T](self, check: Callable[[], T], default: T) -> T:
        try:
            return check()
        except InvalidInput as refused:
            self.errors.extend(refused.errors)
            return default

    def done(self) -> None:
        errors = self.errors
        if len(errors) > 1 and len({error.code for error in errors}) == 1:
            raise InvalidInput(errors=tuple(errors), code=errors[0].code)
        if errors:
            raise InvalidInput.of(errors)
