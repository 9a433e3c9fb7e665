"""The browser's part of the provider, on a blueprint of its own served as the pages are
(their session cookie, CSRF check, CSP and no-store headers, error pages and language):
``/oauth/authorize`` (by GET, or POST), its consent page and the consent form's answer
(``/oauth/authorize/consent``), and ``/oauth/logout`` (docs/pages.md,
docs/reference/oauth.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, request
from flask_babel import get_locale, lazy_gettext

from application.clients.services import ClientServices
from application.provider.authorization.consent import ConsentQuery
from application.provider.authorization.pushed import BringPushedRequest, ResumePushed
from application.provider.claims import (
    Admission,
    AuthTime,
    FindAccount,
    MemberOrg,
    OrgsOf,
    Refusal,
    StepUp,
)
from application.provider.services import ProviderServices
from application.signin.authentication import Actor
from application.signin.services import SigninServices
from application.signin.sessions import Logout
from domain.clients.oauth import scope_list
from domain.provider.claims_request import parse_claims
from domain.provider.grants import session_sid
from domain.provider.pushed import REQUEST_URI_PREFIX, PushedRequestRefused, unchanged
from interfaces.provider.routes import server
from interfaces.provider.sign_in_again import (
    app_name,
    asked_class,
    sign_in_again,
    step_up,
    too_old,
    unmet,
)
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.rendering import csp, page, see_other
from interfaces.web.signin.signed_in import signed_in_actor

# Authlib and the models over it are imported by the routes that use them, on the first
# request (interfaces/provider/routes.py, ProviderServer).
if TYPE_CHECKING:
    from authlib.oauth2.rfc6749.errors import OAuth2Error

    from interfaces.provider.server.models.models import Subject

bp = Blueprint("oauth_pages", __name__)

SCOPE_WORDS = {
    "openid": lazy_gettext("Know who you are on this site"),
    "profile": lazy_gettext("See your username and name"),
    "email": lazy_gettext("See your e-mail address"),
    "offline_access": lazy_gettext("Stay connected when you are away"),
    "roles": lazy_gettext("See your role"),
    "organization": lazy_gettext(
        "Know which of your organizations you use it for, and your roles there"
    ),
    "phone": lazy_gettext("See your phone number"),
}


def _subject(actor: Actor | None) -> Subject | None:
    from interfaces.provider.server.models.models import Subject  # noqa: PLC0415 - see above

    if actor is None:
        return None
    user = actor.user or services().of(ProviderServices).accounts.account(
        FindAccount(actor.user_id)
    )
    if user is None:
        return None
    return Subject(
        user,
        auth_time=services().of(ProviderServices).accounts.authenticated_at(AuthTime(actor)),
        amr=actor.amr,
        sid=session_sid(actor.session_id),
        acting_admin_id=actor.acting_admin_id,
        acting_until=actor.session.expires_at if actor.session is not None else None,
        session=actor.session,
    )


# The consent form sent without one of the organizations it offers
CHOOSE_AN_ORG = lazy_gettext("Choose one of your organizations.")


def _refusal(error: OAuth2Error) -> Response:
    """An error goes back to the client only to a redirect URI registered for it, with
    ``iss`` (RFC 9207); otherwise it is shown here, never redirected."""
    found = server()
    if error.redirect_uri:
        response: Response = found.handle_error_response(None, error)
        found.issuer_parameter.add_issuer_parameter(found, response)
        return response
    detail = error.description or error.error
    return page("error.html", status=400, detail=f"{error.error}: {detail}")


@bp.post("/oauth/authorize")
def authorize_posted() -> Response:
    """OpenID Connect Core §3.1.2.1: an authorization request may be posted (form-encoded).
    An app's cross-site form carries no ``SameSite=Lax`` cookie, so this browser's session
    is not seen on the POST: it is answered 303 with the same request as a GET, a top-level
    navigation that carries it. The POST itself changes nothing, so it needs no CSRF token
    (docs/decisions/0408-authorization-requests-by-post.md)."""
    if _brings_pushed():
        return _arrival()
    params = request.args.to_dict(flat=False)
    for name, values in request.form.to_dict(flat=False).items():
        params.setdefault(name, []).extend(values)
    return see_other("/oauth/authorize?" + urlencode(params, doseq=True))


# The parameter that resumes a pushed request in the browser that brought it
# (application/provider/authorization/pushed.py, ``BroughtPushedRequest.resume``)
RESUME = "pushed"


def _brings_pushed() -> bool:
    """A ``request_uri`` of ``/oauth/par``'s: any other (a request object's, OpenID Connect
    Core §6) is ``request_uri_not_supported``, back to the client."""
    return request.values.get("request_uri", "").startswith(REQUEST_URI_PREFIX)


def _arrival() -> Response:
    """A pushed request's ``request_uri`` (RFC 9126 §4), by GET or POST: spent now, and
    answered 303 with the request as pushed, which this browser alone can resume through
    sign-in and consent (docs/decisions/0420-a-pushed-request-is-spent-on-arrival.md)."""
    resumable = (
        services()
        .of(ProviderServices)
        .pushed.bring_pushed(
            BringPushedRequest(request.values.get("client_id", ""), request.values["request_uri"])
        )
    )
    query = [*resumable.params, (RESUME, resumable.resume)]
    return see_other("/oauth/authorize?" + urlencode(query))


def _pushed() -> bool:
    """Whether this request resumes a pushed one, as it was pushed (only what a new sign-in
    answers may be gone); ``PushedRequestRefused`` if it is not this browser's, has expired
    or was changed."""
    resume = request.args.get(RESUME)
    if resume is None:
        return False
    client_id = request.args.get("client_id", "")
    params = services().of(ProviderServices).pushed.resume_pushed(ResumePushed(client_id, resume))
    seen = [(name, value) for name, value in request.args.items(multi=True) if name != RESUME]
    if not unchanged(params, seen):
        raise PushedRequestRefused("The authorization request is not the one pushed.")
    return True


def _consent_grant(subject: Subject | None) -> Any:
    """Authlib's grant of the authorization request, and the check of a pushed one: a client
    that must push its requests (its own ``require_pushed_authorization_requests``, or
    ``OAUTH_REQUIRE_PAR``) is refused one in the URL, back to it (RFC 9126 §6)."""
    from authlib.oauth2.rfc6749.errors import InvalidRequestError  # noqa: PLC0415 - see above

    pushed = _pushed()
    found = server()
    grant = found.get_consent_grant(end_user=subject)
    if not pushed and (found.config.require_par or grant.client.client.par_required):
        raise InvalidRequestError(
            "This client's authorization requests must be pushed to /oauth/par first.",
            redirect_uri=grant.redirect_uri,
            state=request.args.get("state"),
        )
    return grant


@bp.get("/oauth/authorize")
def authorize() -> Response:
    from authlib.oauth2.rfc6749.errors import OAuth2Error  # noqa: PLC0415 - see above

    if _brings_pushed():
        return _arrival()
    actor = signed_in_actor()
    subject = _subject(actor)
    try:
        grant = _consent_grant(subject)
    except OAuth2Error as error:
        return _refusal(error)
    if subject is None or actor is None:
        hint = request.args.get("login_hint")
        query = {"next": request.full_path, **({"username": hint} if hint else {})}
        return see_other("/sign-in?" + urlencode(query))
    return _answer(grant, actor, subject)


def _answer(grant: Any, actor: Actor, subject: Subject) -> Response:
    """For a signed-in browser: sign in again, ask consent, or answer the client."""
    prompts = (request.args.get("prompt") or "").split()
    again = _not_this_sign_in(grant, actor, subject, prompts)
    if again is not None:
        return again
    outsider = _not_admitted(grant, subject, prompts)
    if outsider is not None:
        return outsider
    picking = _picks_org(grant)
    if picking and request.args.get("organization"):
        refused = _with_org(grant, subject, request.args["organization"])
        if refused is not None:
            return refused
        picking = False
    query = _consent_query(grant, subject)
    if (
        picking
        or "consent" in prompts
        or services().of(ProviderServices).consent.consent_needed(query)
    ):
        return _ask_consent(grant, subject, picking, prompts)
    return server().create_authorization_response(grant=grant, grant_user=subject)  # type: ignore[no-any-return]


def _ask_consent(grant: Any, subject: Subject, picking: bool, prompts: list[str]) -> Response:
    """The consent page, unless none may be shown: with ``prompt=none`` the app hears
    ``consent_required``; a session of support access consents to nothing, and the app hears
    ``access_denied`` (``_no_consent_by_support``)."""
    from authlib.oidc.core.errors import ConsentRequiredError  # noqa: PLC0415 - see above

    if "none" in prompts:
        state = request.args.get("state")
        return _refusal(ConsentRequiredError(redirect_uri=grant.redirect_uri, state=state))
    if subject.acting_admin_id is not None:
        return _refusal(_no_consent_by_support(grant))
    return _consent_page(grant, subject, picking)


SUPPORT_CONSENTS_TO_NOTHING = (
    "A session of support access uses only the apps the person already allowed: it cannot "
    "consent for them."
)


def _no_consent_by_support(grant: Any) -> OAuth2Error:
    """A session of support access is never asked to consent: its consent would outlive it.
    The app hears ``access_denied`` (docs/decisions/0587-support-access-at-the-provider.md)."""
    from authlib.oauth2.rfc6749.errors import AccessDeniedError  # noqa: PLC0415 - see above

    return AccessDeniedError(
        description=SUPPORT_CONSENTS_TO_NOTHING,
        redirect_uri=grant.redirect_uri,
        state=request.args.get("state"),
    )


def _not_this_sign_in(
    grant: Any, actor: Actor, subject: Subject, prompts: list[str]
) -> Response | None:
    """When this browser's sign-in will not do: an ``id_token_hint`` of another account
    (Core §3.1.2.2), ``prompt=login``, a ``max_age`` passed, or a class (``acr_values``, an
    ``acr`` claim asked) above the sign-in's that a new one can reach; one it cannot reach,
    asked as essential, is ``unmet_authentication_requirements`` back to the client
    (docs/decisions/0573-acr-values-at-the-authorization-endpoint.md). The person signs in again, or
    with ``prompt=none`` the client hears ``login_required``; a hint that is no ID token of
    ours for the client is ``invalid_request``. None: it will do."""
    from authlib.oauth2.rfc6749.errors import OAuth2Error  # noqa: PLC0415 - see above
    from authlib.oidc.core.errors import LoginRequiredError  # noqa: PLC0415 - see above

    try:
        hinted = _hinted(grant)
    except OAuth2Error as error:
        return _refusal(error)
    someone_else = hinted is not None and hinted != subject.user.id
    asked = asked_class()
    step = step_up(actor, asked)
    if step is StepUp.UNMET:
        return _refusal(unmet(grant))
    asked_again = step is StepUp.AGAIN
    if not (someone_else or "login" in prompts or asked_again or too_old(actor)):
        return None
    if "none" in prompts:
        state = request.args.get("state")
        return _refusal(LoginRequiredError(redirect_uri=grant.redirect_uri, state=state))
    # The same person asked a stronger sign-in (not anyone's, as prompt=login or another
    # account's hint ask): the page says which app asks, their username filled in
    if not asked_again or someone_else or "login" in prompts or asked.wanted is None:
        return sign_in_again(prompts)
    own = subject.acting_admin_id is None  # support access signs in as the admin, not them
    stepping_up = browser.StepUpAsked(app_name(grant.client.client), asked.wanted)
    return sign_in_again(prompts, stepping_up, actor.username if own else "")


def _not_admitted(grant: Any, subject: Subject, prompts: list[str]) -> Response | None:
    """An org's app for its members only, and a person who is not one: told so on a page of
    its own (403), which offers another account; the app gets no code. Once the person acts
    in an org (scope ``organization``'s pick, ``subject.org``), that org's agent policy must
    allow the app: else a page that says so (403), from which the app hears
    ``access_denied``. With ``prompt=none`` (no page may be shown) the app hears
    ``access_denied`` at once (docs/decisions/0467-an-orgs-app-is-for-its-members.md,
    0548-an-orgs-agent-policy.md). None: the person may go on."""
    from authlib.oauth2.rfc6749.errors import AccessDeniedError  # noqa: PLC0415 - see above

    client, org = grant.client.client, subject.org
    admission = Admission(client, subject.user.id, org=org, org_id=org.id if org else None)
    refused = services().of(ProviderServices).accounts.refusal(admission)
    if refused is None:
        return None
    denied = AccessDeniedError(
        description=_DENIED[refused],
        redirect_uri=grant.redirect_uri,
        state=request.args.get("state"),
    )
    if "none" in prompts:
        return _refusal(denied)
    if refused is Refusal.AGENT_NOT_ALLOWED and org is not None:
        return page(
            "provider/oauth_agent_not_allowed.html",
            status=403,
            app_name=app_name(client),
            org_name=org.name or org.slug,
            username=subject.user.shown_name,
            back=_refusal(denied).headers["Location"],
        )
    return page(
        "provider/oauth_members_only.html",
        status=403,
        app_name=client.name,
        org_name=services().of(ClientServices).clients.registered_by(client),
        username=subject.user.shown_name,
        switch="/sign-out?" + urlencode({"next": request.full_path}),
    )


# What the app hears (``access_denied``'s description) of a person it may not have tokens for
_DENIED = {
    Refusal.MEMBERS_ONLY: "The app is for the members of its organization only.",
    Refusal.AGENT_NOT_ALLOWED: "The organization the person acts in does not allow this app.",
}


def _hinted(grant: Any) -> str | None:
    """The account an ``id_token_hint`` names (``sub``): an ID token this provider issued to
    the client, expired or not; None without one. Another token, or one of another client, is
    ``invalid_request`` back to the client."""
    hint = request.args.get("id_token_hint")
    if not hint:
        return None
    state = request.args.get("state")
    client_id = grant.client.get_client_id()
    return server().end_session.hinted_subject(hint, client_id, grant.redirect_uri, state)


def _picks_org(grant: Any) -> bool:
    """Scope ``organization``: the person picks one of their orgs on the consent page, each
    time, unless the request names it (``organization=<id or slug>``)."""
    return "organization" in scope_list(grant.request.scope)


# Why a pick of an org goes back to the client with access_denied, as its description.
_PICK_REFUSED = {
    "org_not_found": "The person is not a member of that organization.",
    "mfa_setup_required": "That organization requires a second factor the person has not set up.",
    "impersonation_bound_to_org": "This session of support access acts in another organization.",
    "org_forbids_impersonation": "That organization lets no one act as its members.",
}


def _with_org(grant: Any, subject: Subject, asked: str) -> Response | None:
    """The org named for scope ``organization`` on the subject; a person who is not its member
    goes back to the client with ``access_denied``, which says nothing of the org
    (docs/decisions/0371-the-organization-scope.md), as does one without the second factor
    the org requires (docs/decisions/0382-an-org-becomes-active-under-its-rules-everywhere.md);
    a member is then held to the org's agent policy (``_not_admitted``)."""
    from authlib.oauth2.rfc6749.errors import AccessDeniedError  # noqa: PLC0415 - see above

    pick = MemberOrg(subject.user.id, asked, subject.session)
    picked = services().of(ProviderServices).accounts.pick_org(pick)
    subject.org = picked.org
    if picked.refusal is None:  # acting in it: its agent policy must allow the app
        return _not_admitted(grant, subject, (request.args.get("prompt") or "").split())
    return _refusal(
        AccessDeniedError(
            description=_PICK_REFUSED[picked.refusal],
            redirect_uri=grant.redirect_uri,
            state=request.args.get("state"),
        )
    )


@bp.post("/oauth/authorize/consent")
def consent() -> Response:
    from authlib.oauth2.rfc6749.errors import (  # noqa: PLC0415 - see above
        InvalidRequestError,
        OAuth2Error,
    )

    actor = signed_in_actor()
    subject = _subject(actor)
    if subject is None:
        back = "/oauth/authorize?" + urlencode(request.args.to_dict(flat=False), doseq=True)
        return see_other("/sign-in?" + urlencode({"next": back}))
    try:
        grant = _consent_grant(subject)
    except OAuth2Error as error:
        return _refusal(error)
    decision = request.form.get("decision")
    if decision == "allow":
        refused = _not_admitted(grant, subject, []) or _picked_org(grant, subject)
        if refused is not None:
            return refused
        services().of(ProviderServices).consent.remember_consent(_consent_query(grant, subject))
        return server().create_authorization_response(grant=grant, grant_user=subject)  # type: ignore[no-any-return]
    if decision == "deny":
        return server().create_authorization_response(grant=grant, grant_user=None)  # type: ignore[no-any-return]
    return _refusal(InvalidRequestError("Choose 'allow' or 'deny'."))


def _asked_scopes(grant: Any) -> tuple[str, ...]:
    """The scopes asked for, and those of the claims a ``claims`` request names which the
    client may have: a claim is consented to as its scope is
    (docs/decisions/0409-the-claims-parameter.md)."""
    asked = parse_claims(grant.request.payload.data.get("claims"))
    implied = asked.within(grant.client.client.scopes).scopes
    return tuple(dict.fromkeys((*scope_list(grant.request.scope), *implied)))


def _consent_query(grant: Any, subject: Subject) -> ConsentQuery:
    """What the person is asked to allow: the scopes, at the resource named (RFC 8707), which
    a consent to others does not cover."""
    resource = grant.request.payload.data.get("resource")
    client_id = grant.client.get_client_id()
    scopes = " ".join(_asked_scopes(grant))
    return ConsentQuery(subject.user.id, client_id, scopes, resource)


def _picked_org(grant: Any, subject: Subject) -> Response | None:
    """The consent form's org (or the request's), for scope ``organization``; a refusal when
    the person is not its member; the page again (400) when they picked none of the orgs
    offered."""
    if not _picks_org(grant):
        return None
    asked = request.args.get("organization") or request.form.get("organization")
    if asked:
        return _with_org(grant, subject, asked)
    if _offered(subject):  # the page again, asking for the choice
        return _consent_page(grant, subject, picking=True, error=str(CHOOSE_AN_ORG))
    return None  # in no org: the app learns of none


def _offered(subject: Subject) -> list[Any]:
    return services().of(ProviderServices).accounts.orgs_of(OrgsOf(subject.user.id))


def _scope_words(scopes: tuple[str, ...], resource: str | None) -> list[str]:
    """What the consent page says of each scope: firegate's own in its words, an API
    resource's by its description in the person's language (docs/reference/oauth.md)."""
    words = [str(SCOPE_WORDS[s]) for s in scopes if s in SCOPE_WORDS]
    if all(s in SCOPE_WORDS for s in scopes):
        return words
    language = get_locale()
    catalogue = services().of(ClientServices).resources.resource_catalogue()
    described = catalogue.described(scopes, resource, language.language if language else None)
    return [*words, *described]


def _consent_page(
    grant: Any, subject: Subject, picking: bool = False, error: str | None = None
) -> Response:
    scopes = _asked_scopes(grant)
    switch = "/sign-out?" + urlencode({"next": request.full_path})
    # Where the answer goes, which the app's name cannot disguise: the redirect URI's host,
    # or its private scheme (docs/decisions/0228-the-consent-page-says-where-you-go-back.md)
    parts = urlsplit(grant.redirect_uri)
    target = f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"
    client = grant.client.client
    # A metadata document's client is named first by the host its document was fetched from,
    # the one thing about it this site checked; its name is the client's own words
    # (docs/agents-and-clis.md, "Agents with a client metadata document").
    verified_host = client.vouched_host()
    response = page(
        "provider/oauth_consent.html",
        400 if error else 200,
        org_error=error,  # beside the choice (``error`` would be the page's top alert too)
        app_name=app_name(client),
        own_words=client.name if verified_host else None,
        scopes=_scope_words(scopes, grant.request.payload.data.get("resource")),
        resource=grant.request.payload.data.get("resource"),
        back_to=parts.hostname or target,
        registered_itself=grant.client.client.dynamic,
        registered_by=services().of(ClientServices).clients.registered_by(grant.client.client),
        username=subject.user.shown_name,
        orgs=_offered(subject) if picking else [],
        picking=picking,
        action="/oauth/authorize/consent?" + urlencode(request.args.to_dict(flat=False), True),
        switch=switch,
    )
    # The answer to the form redirects to the app: browsers hold that redirect to the form's
    # CSP ``form-action``, so it names the app's redirect URI (its origin, or its scheme).
    response.headers["Content-Security-Policy"] = csp().replace(
        "form-action 'self'", f"form-action 'self' {target}"
    )
    return response


# RP-initiated logout's parameters: a POST of them is answered with the same request as a GET
LOGOUT_PARAMETERS = (
    "id_token_hint",
    "logout_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
)


@bp.route("/oauth/logout", methods=["GET", "POST"])
def logout() -> Response:
    """RP-initiated logout: with a valid ``id_token_hint`` of the account signed in here, this
    browser's session ends and, to a registered ``post_logout_redirect_uri``, it goes back;
    without one, or with another account's, the person is asked
    (docs/decisions/0211-rp-initiated-logout-of-another-account.md)."""
    from authlib.oauth2.rfc6749.errors import OAuth2Error  # noqa: PLC0415 - see above

    if request.method == "POST":
        # A form posted by the app carries no SameSite=Lax cookie, so this browser's session
        # is not seen: the same request again as a GET, a top-level navigation, carries it.
        # Nothing else happens on a POST (it carries no CSRF token).
        kept = {k: request.values[k] for k in LOGOUT_PARAMETERS if k in request.values}
        return see_other("/oauth/logout?" + urlencode(kept))
    found = server()
    try:
        ending = found.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return _refusal(error)
    actor = signed_in_actor()
    hinted = (ending.id_token_claims or {}).get("sub")
    other = actor is not None and hinted is not None and hinted != actor.user_id
    if ending.needs_confirmation or other:
        return page("provider/oauth_logout.html", signed_in=actor is not None, other=other)
    if actor is not None:
        services().of(SigninServices).sessions.logout(Logout(actor, False))
    response: Response = found.create_endpoint_response("end_session", ending) or page(
        "provider/oauth_signed_out.html"
    )
    if actor is not None:
        browser.end(response)
    return response
