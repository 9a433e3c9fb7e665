"""How a page is rendered and sent (docs/pages.md, "How a page is built"): the pages'
blueprint, the inlined stylesheet and the CSP that allows it, the brand a unit may put on a
page (``PAGE_BRANDS``), ``page()``, the kept signed-out pages, and each page's headers."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, redirect, render_template, request
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale, get_timezone
from markupsafe import Markup

from application.remembered import Remembered
from domain.slots import Slot
from interfaces.shared.acting import filled_here
from interfaces.web import browser, shown

# The pages' blueprint: their templates, static files and hooks; each page module adds its
# routes to it as it is imported (interfaces/web/__init__.py imports them all).
bp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/pages",
)

# The stylesheet, inlined in every page's head: no request for it before the first paint
# (docs/decisions/0196-inlined-stylesheet.md). The CSP allows exactly this text by its hash:
# no other style element, and no style attribute.
STYLE = (Path(__file__).parent / "static" / "pages.css").read_text(encoding="utf-8")
if "</" in STYLE:
    raise RuntimeError("pages.css must not contain '</': it is inlined in a <style> element")


@dataclass(frozen=True)
class Styled:
    """The stylesheet a deployment's pages inline (with its BRAND_COLOR), and the CSP that
    allows exactly it (docs/configuration.md#branding)."""

    style: str
    csp: str


def styled(
    brand_color: str = "", challenge_origins: tuple[str, ...] = (), dark_color: str = ""
) -> Styled:
    """``brand_color`` (``#rrggbb``, checked by the settings) is the light scheme's accent;
    the dark scheme keeps its own, light enough to read on dark, unless a page's brand gives
    ``dark_color``. ``challenge_origins``: the challenge provider's, whose script and frames
    the pages then allow (only when one is configured: docs/security.md, "A challenge on
    signals")."""
    style = STYLE
    if brand_color:
        style += (
            f"@media (prefers-color-scheme: light) {{ :root {{ --accent: {brand_color}; }} }}\n"
        )
    if dark_color:
        style += f"@media (prefers-color-scheme: dark) {{ :root {{ --accent: {dark_color}; }} }}\n"
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    # Scripts only from files of this site (no inline script), and the challenge's.
    more = "".join(f" {origin}" for origin in challenge_origins)
    frames = f"; frame-src{more}" if more else ""
    csp = (
        f"default-src 'none'; script-src 'self'{more}; style-src 'sha256-{digest}'; "
        f"img-src 'self' data:; connect-src 'self'{more}; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors 'none'{frames}"
    )
    return Styled(style, csp)


UNBRANDED = styled()
CSP = UNBRANDED.csp  # the pages' policy without BRAND_COLOR
STYLED = "firegate.styled"  # the app's Styled


def csp() -> str:
    """This page's Content-Security-Policy: its brand's (``PAGE_BRANDS``), else this app's
    pages'."""
    found: Styled = g.get(BRANDED) or current_app.extensions.get(STYLED, UNBRANDED)
    return found.csp


def marked(message: str) -> str:
    """``N_("...")`` in a template: a string for the catalogues (pybabel extracts ``N_`` as it
    does ``_``) that is translated later, by ``_(...)``, only where it is shown."""
    return message


@bp.record_once
def _template_globals(state: BlueprintSetupState) -> None:
    globals_ = state.app.jinja_env.globals
    config: browser.PagesConfig | None = state.app.extensions.get(browser.EXTENSION)
    brand = (
        styled(config.brand_color, config.challenge_origins) if config is not None else UNBRANDED
    )
    state.app.extensions[STYLED] = brand
    globals_["page_style"] = Markup(brand.style)  # noqa: S704 - our own file
    globals_["N_"] = marked
    globals_["device_name"] = shown.device_name
    globals_["ago"] = shown.ago
    globals_["time_zone"] = get_timezone
    globals_["zone_options"] = shown.zone_options
    globals_["told_zone"] = shown.told_zone
    globals_["challenge_script"] = config.challenge_script if config is not None else ""


# -- a page's brand (docs/decisions/0860-page-brands.md)


@dataclass(frozen=True)
class PageBrand:
    """What a unit puts on a page in the operator's place: the name and logo of the header,
    the accent of each colour scheme (``#rrggbb``; empty: the deployment's)."""

    name: str
    logo_url: str = ""
    color: str = ""  # the light scheme's accent, on which buttons' text is white
    dark_color: str = ""  # the dark scheme's, on which buttons' text is black


type PageBranding = Callable[[Mapping[str, object]], PageBrand | None]

# Filled by the units that brand pages: each is asked, in the units' order, with the context
# the page is rendered with (it may read the request too); the first brand given is worn.
# None from all: the page is the deployment's, byte for byte.
PAGE_BRANDS = Slot[PageBranding]("the pages' brands")
BRANDED = "firegate_branded"  # on ``g``: the Styled of this request's branded page
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def page_brand(context: Mapping[str, object]) -> PageBrand | None:
    """The brand the first unit that gives one puts on a page rendered with ``context``."""
    for brand_of in filled_here(PAGE_BRANDS):
        brand = brand_of(context)
        if brand is not None:
            return brand
    return None


def _color(value: str) -> str:
    """``value`` if it is ``#rrggbb`` (lower-cased), else nothing: only a colour goes into
    the stylesheet, whatever a unit gives."""
    return value.lower() if isinstance(value, str) and _COLOR.fullmatch(value) else ""


@lru_cache(maxsize=64)
def _styled_for(color: str, challenge_origins: tuple[str, ...], dark_color: str) -> Styled:
    """The stylesheet and CSP of one pair of colours, made once."""
    return styled(color, challenge_origins, dark_color)


def _brand_style(brand: PageBrand) -> Styled | None:
    """The stylesheet and CSP of ``brand``'s colours; None when it gives none (the app's)."""
    color, dark_color = _color(brand.color), _color(brand.dark_color)
    if not color and not dark_color:
        return None
    config: browser.PagesConfig | None = current_app.extensions.get(browser.EXTENSION)
    own, origins = (config.brand_color, config.challenge_origins) if config else ("", ())
    return _styled_for(color or own, origins, dark_color)


def _rendered(
    template: str, context: Mapping[str, object], brand: PageBrand | None
) -> tuple[str, Styled | None]:
    """``template`` rendered with ``context``, wearing ``brand`` if any; and the stylesheet
    it inlines when that is not the app's."""
    if brand is None:
        return render_template(template, **context), None
    look = _brand_style(brand)
    worn: dict[str, object] = {**context, "page_brand": brand}
    if look is not None:
        worn["page_style"] = Markup(look.style)  # noqa: S704 - our file, checked colours
    return render_template(template, **worn), look


def _with_style(response: Response, look: Styled | None) -> Response:
    """``response`` with the CSP that allows its stylesheet, when it is a brand's (``csp()``
    gives it too, for a page that adds to it: the consent's)."""
    if look is None:
        g.pop(BRANDED, None)
        return response
    setattr(g, BRANDED, look)
    response.headers["Content-Security-Policy"] = look.csp
    return response


def page(template: str, status: int = 200, **context: object) -> Response:
    """``template`` rendered with ``context``, wearing a unit's brand if one gives it."""
    return page_of(template, status, context)


def page_of(template: str, status: int, context: Mapping[str, object]) -> Response:
    """``page()`` of a context given whole (the error page's, which names its status)."""
    html, look = _rendered(template, context, page_brand(context))
    return _with_style(Response(html, status=status), look)


def see_other(location: str) -> Response:
    return redirect(location, 303)  # type: ignore[return-value]


def on_to_sso(start: str, next_path: str, status: int = 200, *, domain: str = "") -> Response:
    """On to the start of an org's single sign-on, then to ``next_path`` once signed in: a
    page that goes on by itself (``Refresh``) with a link, not a redirect, because the
    pages' CSP (``form-action 'self'``) also holds for the redirects a form's submission
    follows, and the start redirects to the IdP's site (docs/reference/sso.md). ``domain``:
    the verified domain the address was found on, shown exactly."""
    target = start + "?" + urlencode({"next": next_path})
    response = page("signin/sso_continue.html", status, start=target, domain=domain)
    response.headers["Refresh"] = f"0; url={target}"
    return response


# -- the kept signed-out pages (docs/decisions/0197-kept-signed-out-pages.md)

# Where a kept page's CSRF token goes: unguessable, so no typed text can ask for it.
CSRF_SLOT = "csrf-slot-" + secrets.token_urlsafe(16)
KEPT_PAGES = "firegate.kept_pages"
KEPT_PAGES_MAX = 256  # a ``next`` or a hint is typed by anyone: the oldest make way


class KeptPages:
    """Signed-out form pages as rendered, per template, language and context."""

    def __init__(self) -> None:
        self.pages: Remembered[str, str] = Remembered(KEPT_PAGES_MAX)


def kept_page(template: str, **context: object) -> Response:
    """A form page that is the same for every browser but for its CSRF token (/sign-in,
    /sign-up, /forgot-password): rendered once per language and context, then served with
    this browser's token put in (docs/benchmarks.md, "The pages for people"). Nothing it
    shows depends on who asks: the context, with the brand it wears, is the whole key."""
    kept: KeptPages = current_app.extensions[KEPT_PAGES]
    language = [str(get_locale()), g.get(browser.ACCOUNT_LANGUAGE, False)]  # the switch, too
    brand = page_brand(context)
    worn = astuple(brand) if brand is not None else None
    key = json.dumps([template, language, request.script_root, context, worn], sort_keys=True)
    html = kept.pages.get(key)
    look = _brand_style(brand) if brand is not None else None
    if html is None:
        g.csrf_token = CSRF_SLOT  # what csrf_token() gives while it renders
        try:
            html, look = _rendered(template, context, brand)
        finally:
            g.pop("csrf_token", None)
        kept.pages.put(key, html)
    return _with_style(Response(html.replace(CSRF_SLOT, browser.csrf_token())), look)


# -- each page's headers

# The pages an app's popup passes through to sign a person in or out (the authorization
# endpoint, the sign-in and its second step, the consent, RP-initiated logout): the app's
# callback page hands the answer to ``window.opener``, which a Cross-Origin-Opener-Policy of
# same-origin on any of them would cut. Every other page keeps same-origin
# (docs/decisions/0198-opener-policy-on-the-sign-in-path.md).
OPENER_KEPT = frozenset(
    {
        "pages.sign_in_page",
        "pages.sign_in",
        "pages.mfa_page",
        "pages.sign_in_mfa",
        "oauth_pages.authorize",
        "oauth_pages.consent",
        "oauth_pages.logout",
    }
)


def page_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", csp())
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    return response


def cookies_and_headers(response: Response) -> Response:
    """A page's cookies and headers (``serve_as_pages`` puts it after each page)."""
    headers = page_headers(response).headers
    if request.endpoint in OPENER_KEPT:
        headers["Cross-Origin-Opener-Policy"] = "unsafe-none"
    if request.endpoint == "pages.static":
        return response  # the stylesheet and script: no cookie, and kept by the browser
    # Pages show personal data or carry a form's token: never stored.
    headers["Cache-Control"] = "no-store"
    return browser.keep_session(response)
