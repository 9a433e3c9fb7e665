"""The pages for people: a second driving adapter beside the JSON API, over the same use
cases (docs/pages.md)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl

from babel import Locale
from babel.support import NullTranslations
from flask import Blueprint, Flask, Response, g, request, url_for
from flask_babel import Babel, get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.http import parse_accept_header

from domain.errors import DomainError
from domain.languages import LOCALES
from interfaces.shared.limits import LimitedAs, Route
from interfaces.shared.shell import Installed
from interfaces.web import browser, shown
from interfaces.web.browser import ACCOUNT_LANGUAGE, EXTENSION, PagesConfig
from interfaces.web.compiled import TRANSLATIONS as TRANSLATIONS  # the core's catalogue
from interfaces.web.compiled import UNTRANSLATED
from interfaces.web.compiled import catalogues as catalogues  # the units' too, for mail too
from interfaces.web.errors import (
    PAGE_BLUEPRINTS,
    http_error,
    method_not_allowed_page,
    prefers_html,
    refused_before_route,
)
from interfaces.web.forms import check_csrf
from interfaces.web.languages import LANGUAGE_NAMES
from interfaces.web.messages import UNIT_MESSAGES
from interfaces.web.parts import Pages, folded
from interfaces.web.rendering import KEPT_PAGES, KeptPages, bp, cookies_and_headers, see_other

# No page module is named here: each unit's (``Unit.pages``, interfaces/web/parts.py) adds
# its routes to rendering.bp as it is imported, and its parts of the pages the capabilities
# share (the account area's and an org page's sections, the sign-in page's other providers,
# /admin's parts and actions, its limited forms, its hooks) are handed to ``install``.

__all__ = ["SAML_ACS", "PagesConfig", "install", "page_limits", "serve_as_pages"]

LANGUAGES = LOCALES

# The pages' own limited route: an IdP's answer, which anyone may post, is parsed and its
# signatures checked before anything tells a forgery (RATE_LIMIT_SSO_ACS)
SAML_ACS = ("POST", "/sso/<connection_id>/saml/acs")


# What every unit adds to the pages, folded once: its frames (the account area's, an org
# page's, the sign-in page's, /admin's) put their routes on rendering.bp, which is the
# process's, before it is first registered; every app of the process then has the same.
_FOLDED: list[Pages] = []


def _fold_once(unit_pages: Sequence[Pages]) -> Pages:
    """Every unit's parts as one, handed to the frames that gather them on the first app
    made; the next apps are given the same (another fold would be a second set of routes on
    one blueprint: a ValueError)."""
    fold = folded(unit_pages)
    if not _FOLDED:
        for frame in fold.frames:
            frame(fold)
        _FOLDED.append(fold)
    elif fold != _FOLDED[0]:
        raise ValueError("the pages' parts are the process's: every app is given the same units")
    return _FOLDED[0]


def page_limits(unit_pages: Sequence[Pages]) -> dict[Route, LimitedAs]:
    """Each page that signs in, signs up or spends a mail token, with the API route whose
    per-address limit it counts against, with the same counters: two doors are not twice
    the budget (the units' ``Pages.limited_as``)."""
    return dict(folded(unit_pages).limited_as)


def _after_page(response: Response) -> Response:
    """The units' hooks after each page (support access's forms it may not send), before
    its cookies and headers."""
    for hook in _FOLDED[0].after_page if _FOLDED else ():
        response = hook(response)
    return response


def serve_as_pages(other: Blueprint) -> None:
    """Serve a blueprint's routes as pages: this adapter's own, and another adapter's (the
    provider's: interfaces/provider/pages.py) the same way: the CSRF check, the cookies and
    headers, the error pages (a domain error without a form, an HTTP error), in the same
    language. Called once ``other`` has its own hooks, if any, and before it is registered."""
    other.before_request(check_csrf)
    other.after_request(cookies_and_headers)
    other.after_request(_after_page)  # the units' (support access's): before the headers
    # a refusal before the route ran (a request limit): its form's page, else the error page
    other.register_error_handler(DomainError, refused_before_route)
    other.register_error_handler(HTTPException, http_error)
    PAGE_BLUEPRINTS.add(other.name)


serve_as_pages(bp)


# Parsed once: Flask-Babel parses what the selector returns on every request, and parsing a
# name looks for its locale data on disk; a Locale is taken as it is.
_PARSED = {code: Locale.parse(code) for code in LANGUAGES}


# The second step of signing in: no account is signed in yet, but the first step knew which.
SECOND_STEP = frozenset({"pages.mfa_page", "pages.sign_in_mfa"})


def locale() -> Locale:
    """The signed-in account's language (on the second step of signing in, the account's that
    is signing in), else the one this browser chose with the signed-out pages' switch, else
    the first of an app's ``ui_locales`` that the pages have (OpenID Connect Core §3.1.2.1,
    on the authorization request's pages and the sign-in it leads to), else the browser's
    (Accept-Language), else English."""
    if request.blueprint in PAGE_BLUEPRINTS and request.endpoint != "pages.static":
        actor = browser.signed_in()
        chosen = actor.locale if actor is not None else None
        if chosen is None and request.endpoint in SECOND_STEP:
            chosen = browser.mfa_locale()
        if chosen in _PARSED:
            g.setdefault(ACCOUNT_LANGUAGE, True)  # the switch would change nothing here
            return _PARSED[str(chosen)]
        chosen = browser.chosen_language() or _asked_by_the_app()
        if chosen in _PARSED:
            return _PARSED[chosen]
    # The header from the environ: ``request.headers.get`` raises inside on a miss.
    return _browser_language(request.environ.get("HTTP_ACCEPT_LANGUAGE", ""))


# Where an app's ``ui_locales`` is read: the authorization endpoint and its consent form
# (their own query), and the sign-in page it sends a signed-out browser to (in ``next``)
AUTHORIZATION_PAGES = frozenset({"oauth_pages.authorize", "oauth_pages.consent"})


def _asked_by_the_app() -> str | None:
    """The first of the authorization request's ``ui_locales`` the pages have, if any."""
    asked = request.args.get("ui_locales") or ""
    if request.endpoint not in AUTHORIZATION_PAGES:
        back = request.args.get("next") or ""
        if request.endpoint != "pages.sign_in_page" or not back.startswith("/oauth/authorize?"):
            return None
        asked = dict(parse_qsl(back.partition("?")[2])).get("ui_locales") or ""
    return next((tag for tag in asked.split() if tag in _PARSED), None)


@lru_cache(maxsize=256)
def _browser_language(accept_language: str) -> Locale:
    """What ``request.accept_languages.best_match`` chooses, parsed once per header value
    (browsers send a handful; the cache is bounded for the others)."""
    accepted = parse_accept_header(accept_language, LanguageAccept)
    return _PARSED[accepted.best_match(LANGUAGES) or LANGUAGES[0]]


@lru_cache(maxsize=64)
def _asset_url(script_root: str, filename: str) -> str:
    # url_for reads the script root from the request; it is in the key for that.
    return url_for("pages.static", filename=filename)


def asset(filename: str) -> str:
    """``url_for('pages.static', filename=...)``, built once per file and script root."""
    return _asset_url(request.script_root, filename)


def root_page() -> Response | None:
    """``/`` is neither a page nor an API route: a browser is sent to sign in, or to its
    account when it has a session (which /account checks); an API client, which asks for
    JSON or for anything, still gets the API's 404 problem (docs/pages.md)."""
    if (
        request.path != "/"
        or request.method not in ("GET", "HEAD")
        or not isinstance(request.routing_exception, NotFound)
        or not prefers_html()
    ):
        return None
    return see_other("/account" if browser.has_session() else "/sign-in")


def install(
    app: Flask,
    config: PagesConfig,
    unit_pages: Sequence[Pages] = (),
    translations: Sequence[Path] = (TRANSLATIONS,),
) -> Installed:
    """The pages on ``app``, with what the units this service runs add to them, in the
    units' order (``Unit.pages``), and their strings from ``translations`` (the core's
    catalogue and the units', ``catalogues``); what they hand the app shell: the limit of the
    IdPs' answers, and their routes that count against another route's limit."""
    app.extensions[EXTENSION] = config
    pages = _fold_once(unit_pages)
    Babel(
        app,
        locale_selector=locale,
        timezone_selector=shown.time_zone,
        # Flask-Babel merges the catalogues of one domain in this order
        default_translation_directories=";".join(map(str, translations)),
    )
    app.extensions[KEPT_PAGES] = KeptPages()
    app.extensions[UNIT_MESSAGES] = pages.messages
    app.jinja_env.bytecode_cache = UNTRANSLATED  # the process's compiled templates
    app.register_blueprint(bp)
    app.before_request(method_not_allowed_page)
    app.before_request(root_page)
    for before in pages.before_request:  # the units' addresses of the API sent to a page
        app.before_request(before)

    address = escape(config.support_email)
    support_link = Markup(f'<a href="mailto:{address}">{address}</a>')  # noqa: S704 - escaped

    # Each language's catalogue and the functions bound to it, made on its first page: the
    # catalogues are loaded once anyway, and asking Flask-Babel for one costs every page.
    speaking: dict[Locale | None, dict[str, object]] = {}

    def _refused_as(_kind: str) -> str | None:
        """Why this page's session may not change a field of a form (a unit's page context
        says it for a session it guards: support access's); None: it may."""
        return None

    def included(place: str) -> Sequence[str]:
        """The units' templates shown at ``place`` of a shared page (``Pages.includes``)."""
        return pages.includes.get(place, ())

    @app.context_processor
    def _page_context() -> dict[str, object]:
        chosen = get_locale()
        language = speaking.get(chosen)
        if language is None:
            language = speaking[chosen] = {
                "lang": chosen.language if chosen is not None else LANGUAGES[0],
                **bound_gettext(get_translations()),
            }
        return {
            "site_name": config.site_name,
            "logo_url": config.logo_url,
            "support_email": config.support_email,
            "support_link": support_link,
            "csrf_token": browser.csrf_token,
            "asset": asset,
            "languages": LANGUAGE_NAMES,
            "may_choose_language": not g.get(ACCOUNT_LANGUAGE, False),
            "passkey_origins": browser.passkey_origins(),
            "email_code": config.email_code,
            "included": included,
            "refused_as": _refused_as,
            "page_brand": None,  # a unit's brand, put on the page by page() (PAGE_BRANDS)
            **{key: value for read in pages.page_context for key, value in read().items()},
            **language,
        }

    return Installed(
        name="pages", limits={SAML_ACS: config.sso_acs_limit}, limited_as=dict(pages.limited_as)
    )


def bound_gettext(translations: NullTranslations) -> dict[str, object]:
    """``gettext`` and ``ngettext`` bound to one language's catalogue: the templates'
    ``_()`` and ``{% trans %}`` find them in the context before Flask-Babel's globals, which
    look the catalogue up again for every string (half the CPU of a page of forms;
    docs/benchmarks.md). The same newstyle behaviour as Jinja's i18n extension: the result
    is always %-formatted with the keywords, and marked safe under autoescape."""

    @pass_context
    def gettext(context: Context, string: str, **variables: object) -> str:
        text = translations.ugettext(string)
        if not variables and "%" not in text:  # what %-formatting would give, for less
            return Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704 - ours
        return _formatted(context, text, variables)

    @pass_context
    def ngettext(
        context: Context, singular: str, plural: str, num: int, **variables: object
    ) -> str:
        variables.setdefault("num", num)
        return _formatted(context, translations.ungettext(singular, plural, num), variables)

    # ``_`` as well: Jinja's own ``_`` looks ``gettext`` up and calls it, a second call.
    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


def _formatted(context: Context, text: str, variables: dict[str, object]) -> str:
    """A catalogue's text with its variables put in. The text is the project's own (from the
    templates and the reviewed catalogues), so under autoescape it is markup, as Jinja's i18n
    extension treats it; the variables are escaped by Markup's ``%``."""
    if context.eval_ctx.autoescape:
        return Markup(text) % variables  # noqa: S704 - the catalogue's text, never input
    return text % variables
