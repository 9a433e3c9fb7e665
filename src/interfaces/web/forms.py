"""The pages' form kit (docs/pages.md, "How a page is built"): reading a form's fields,
``?next=``, the CSRF check of every POST, and ``form_errors``, which a route wears to say
where its form's errors go."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial, wraps
from urllib.parse import urlsplit

from flask import Response, abort, request

from domain.errors import DomainError, FieldError, InvalidInput, checked
from interfaces.web import browser
from interfaces.web.errors import REAUTH_BACK, FormPage, declare_form, refused

MAX_FIELD_CHARS = 1024  # longer than any field a person types; the use cases check the rest

View = Callable[..., Response]


def form_errors(
    template: str,
    *,
    form_id: str | None = None,
    renamed: Mapping[str, str] | None = None,
    placed: Mapping[str, str] | None = None,
    shown: Callable[..., Mapping[str, object]] | None = None,
    back: str = REAUTH_BACK,
) -> Callable[[View], View]:
    """A domain error of the route re-renders ``template`` with each message beside its field
    (``errors.refused``; ``FormPage`` says what ``form_id``, ``renamed``, ``placed`` and
    ``back`` are).
    ``shown``: what else the page shows, called with the route's own arguments only when it
    is rendered (a form that succeeds reads none of it). A request limit that refuses the
    route before it runs shows the same page (``errors.refused_before_route``)."""
    form = FormPage(template, form_id, renamed or {}, placed or {}, back)

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(*args: object, **kwargs: object) -> Response:
            try:
                return view(*args, **kwargs)
            except DomainError as exc:
                return refused(exc, form, partial(shown, *args, **kwargs) if shown else None)

        declare_form(wrapper, form, shown)
        return wrapper

    return decorate


def safe_next(value: str | None, fallback: str = "/account") -> str:
    """``?next=``: a path of this site, never another site (``//host``, ``/\\host``, a
    scheme); anything else leads to ``fallback``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ch in value for ch in "\\\r\n\t"):
        return fallback
    return value


def field(name: str, *, required: bool = True) -> str:
    value = request.form.get(name, "")
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidInput.field(name, "Too long.", "string_too_long")
    if required and not value.strip():
        raise InvalidInput.field(name, "Required.", "missing")
    return value


def fields(*names: str) -> list[str]:
    """``field`` of each required name, every missing or too long one said at once."""
    problems: list[FieldError] = []
    values = [checked(partial(field, name), problems) for name in names]
    if problems:
        raise InvalidInput.of(problems)
    return [value or "" for value in values]


# POSTs that change nothing and so carry no CSRF token: RP-initiated logout, posted by an
# app's page, is answered with a redirect to itself as a GET, which asks or checks the hint;
# so is an authorization request posted by an app (its consent form posts elsewhere).
# An upstream provider's answer posted back (Apple's form_post) is checked by its state, which
# only this browser's flight cookie holds (docs/reference/providers.md). A SAML IdP's answer is
# posted to the ACS from the IdP's site: it is checked by its signature and, unless the
# connection allows IdP-initiated sign-in, by the request this browser's flight names. Its
# single logout messages come to the SLO URL the same way, each checked by its signature.
CSRF_FREE = frozenset(
    {
        "oauth_pages.logout",
        "oauth_pages.authorize_posted",
        "pages.upstream_callback",
        "pages.saml_acs",
        "pages.saml_slo",
    }
)


def check_csrf() -> None:
    """Every POST to a page carries its CSRF token (``serve_as_pages`` puts it before each)."""
    if request.method == "POST" and request.endpoint not in CSRF_FREE and not browser.csrf_ok():
        abort(403)
