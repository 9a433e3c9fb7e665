"""Signing in with an upstream provider (docs/reference/providers.md): "Continue with {name}"
leads to /sign-in/with/{id}, which sends the browser to the provider with a flight sealed in
a cookie; the provider sends it back to the callback, which signs it in (or asks the
account's second factor) and goes on to ``next``. "Connect another" on /account/security makes
the same round trip for the signed-in account, and the callback links the identity to it
(docs/reference/identities.md). Admins manage the providers on /admin/providers."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, abort, after_this_request, redirect, request

from application.federation.providers import AddProvider, DeleteProvider
from application.federation.services import FederationServices
from application.federation.upstream import Arrival, Departure, FinishUpstream, StartUpstream
from application.signin.authentication import Actor, require_recent_sign_in
from domain.federation.upstream import PRESETS
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.accounts.admin import needs_sign_in
from interfaces.web.federation.connected import connect_identity, connect_proof_ok
from interfaces.web.forms import MAX_FIELD_CHARS, field, form_errors, safe_next
from interfaces.web.rendering import bp, page, see_other
from interfaces.web.signin.security import SECURITY
from interfaces.web.signin.signed_in import signed_in_actor

ANSWER_FIELDS = ("code", "state", "error", "error_description", "iss", "user")


def buttons() -> list[list[str]]:
    """What the sign-in and sign-up pages show: [id, name] of each provider."""
    return [[b.id, b.name] for b in services().of(FederationServices).upstream.buttons()]


def leave(departure: Departure) -> Response:
    """To the provider, this browser holding the flight."""
    response: Response = redirect(departure.url, 303)  # type: ignore[assignment]
    browser.hold_flight(response, departure.flight, form_post=departure.form_post)
    return response


@bp.get("/sign-in/with/<provider_id>")
def upstream_start(provider_id: str) -> Response:
    if "connect" in request.args:
        return _connect_start(provider_id, request.args["connect"])
    return leave(
        services()
        .of(FederationServices)
        .upstream.start(StartUpstream(provider_id, safe_next(request.args.get("next"))))
    )


def _connect_start(provider_id: str, proof: str) -> Response:
    """The round trip of "Connect another" (/sign-in/with/{id}?connect=...) for the signed-in
    account, which the flight names. A link, not a form: a form's redirect to another site is
    refused by the pages' CSP (form-action 'self'). Its ``connect`` proof, which only this
    browser's pages know, keeps other sites from starting one
    (docs/decisions/0273-connect-another.md)."""
    actor = signed_in_actor()
    if actor is None:
        return see_other("/sign-in?" + urlencode({"next": SECURITY.path}))
    if not connect_proof_ok(proof):
        abort(403)
    require_recent_sign_in(actor)  # before the round trip, not only at its end
    start = StartUpstream(provider_id, SECURITY.path, connect_for=actor.user_id)
    return leave(services().of(FederationServices).upstream.start(start))


@bp.route("/sign-in/with/<provider_id>/callback", methods=["GET", "POST"])
def upstream_callback(provider_id: str) -> Response:
    after_this_request(browser.drop_flight)  # one return per flight, refused or not
    given = request.form if request.method == "POST" else request.args
    answer = {name: given.get(name, "")[: MAX_FIELD_CHARS * 16] for name in ANSWER_FIELDS}
    actor = signed_in_actor()
    arrival = (
        services()
        .of(FederationServices)
        .upstream.finish(
            FinishUpstream(
                provider_id,
                answer,
                browser.flight(),
                user_agent=browser.user_agent(),
                client_ip=client_ip(),
                device_token=browser.device_token(),
                signed_in_as=actor.user_id if actor is not None else "",
            )
        )
    )
    if arrival.connect is not None and actor is not None:  # "Connect another"
        return connect_identity(actor, arrival.connect)
    return arrived(arrival)


def arrived(arrival: Arrival) -> Response:
    """The end of any round trip through another provider (an upstream one, an org's
    connection): signed in and on to ``next``, or to the second step."""
    if arrival.mfa is not None:
        response = see_other("/sign-in/mfa?" + urlencode({"next": arrival.next}))
        browser.hold_mfa_token(response, arrival.mfa.mfa_token, arrival.mfa.locale)
        return response
    response = see_other(arrival.next)
    if arrival.pair is not None:
        browser.start(response, arrival.pair)
    return response


# -- /admin/providers


def _shown(actor: Actor) -> dict[str, object]:
    return {
        "providers": services().of(FederationServices).upstream.list(actor),
        "presets": sorted(PRESETS),
        "public_url": browser.config().public_url.rstrip("/"),
    }


@bp.get("/admin/providers")
@needs_sign_in
def providers_page(actor: Actor) -> Response:
    done = request.args.get("done") in ("added", "deleted")
    return page("federation/admin_providers.html", 200, done=done, form={}, **_shown(actor))


@bp.post("/admin/providers")
@needs_sign_in
@form_errors(
    "federation/admin_providers.html", shown=lambda actor: {"done": False, **_shown(actor)}
)
def add_provider(actor: Actor) -> Response:
    services().of(FederationServices).upstream.add(
        AddProvider(
            actor,
            field("id"),
            field("client_id"),
            field("client_secret"),
            issuer=field("issuer", required=False),
            name=field("name", required=False),
            scope=field("scope", required=False),
            preset=field("preset", required=False),
            team_id=field("team_id", required=False),
            key_id=field("key_id", required=False),
        )
    )
    return see_other("/admin/providers?done=added")


@bp.post("/admin/providers/<provider_id>/delete")
@needs_sign_in
def delete_provider(actor: Actor, provider_id: str) -> Response:
    services().of(FederationServices).upstream.delete(DeleteProvider(actor, provider_id))
    return see_other("/admin/providers?done=deleted")
