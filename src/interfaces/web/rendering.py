"""How a page is rendered and sent (docs/pages.md, "How a page is built"): the pages'
blueprint, the inlined stylesheet and the CSP that allows it, ``page()``, the kept
signed-out pages, and each page's headers."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, redirect, render_template, request
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale, get_timezone
from markupsafe import Markup

from application.remembered import Remembered
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


def styled(brand_color: str = "", challenge_origins: tuple[str, ...] = ()) -> Styled:
    """``brand_color`` (``#rrggbb``, checked by the settings) is the light scheme's accent;
    the dark scheme keeps its own, light enough to read on dark. ``challenge_origins``: the
    challenge provider's, whose script and frames the pages then allow (only when one is
    configured: docs/security.md, "A challenge on signals")."""
    style = STYLE
    if brand_color:
        style += (
            f"@media (prefers-color-scheme: light) {{ :root {{ --accent: {brand_color}; }} }}\n"
        )
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
    """This app's pages' Content-Security-Policy."""
    found: Styled = current_app.extensions.get(STYLED, UNBRANDED)
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


def page(template: str, status: int = 200, **context: object) -> Response:
    return Response(render_template(template, **context), status=status)


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
    shows depends on who asks: the context is the whole key."""
    kept: KeptPages = current_app.extensions[KEPT_PAGES]
    language = [str(get_locale()), g.get(browser.ACCOUNT_LANGUAGE, False)]  # the switch, too
    key = json.dumps([template, language, request.script_root, context], sort_keys=True)
    html = kept.pages.get(key)
    if html is None:
        g.csrf_token = CSRF_SLOT  # what csrf_token() gives while it renders
        try:
            html = render_template(template, **context)
        finally:
            g.pop("csrf_token", None)
        kept.pages.put(key, html)
    return Response(html.replace(CSRF_SLOT, browser.csrf_token()))


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
