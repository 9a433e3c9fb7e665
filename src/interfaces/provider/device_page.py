"""``/device``: where a person answers a device's request (RFC 8628 §3.3; docs/pages.md,
docs/reference/oauth.md, "Device authorization"). Signed in (or sent to sign in and back),
they type the code the device shows, a guess counted as a password guess; they see the app
and what it asks for, and allow or deny it with the page's CSRF token."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, request

from application.clients.services import ClientServices
from application.provider.authorization.device import (
    DecideDevice,
    DeviceRequestView,
    FindDeviceRequest,
)
from application.provider.claims import AuthTime
from application.provider.services import ProviderServices
from application.signin.authentication import Actor
from interfaces.provider.pages import SCOPE_WORDS
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import page, see_other
from interfaces.web.signin.signed_in import signed_in_actor

bp = Blueprint("oauth_device", __name__)

TEMPLATE = "provider/oauth_device.html"


def _signed_in_or_away() -> Actor | Response:
    actor = signed_in_actor()
    if actor is not None:
        return actor
    back = "/device"
    typed = request.values.get("user_code", "")
    if typed and len(typed) <= 20:
        back += "?" + urlencode({"user_code": typed})
    return see_other("/sign-in?" + urlencode({"next": back}))


def _request_page(view: DeviceRequestView, actor: Actor) -> Response:
    return page(
        TEMPLATE,
        step="decide",
        user_code=view.user_code,
        app_name=view.client.name,
        registered_by=services().of(ClientServices).clients.registered_by(view.client),
        scopes=[SCOPE_WORDS[s] for s in view.scopes if s in SCOPE_WORDS],
        username=actor.username,
    )


@bp.get("/device")
def device() -> Response:
    """The code to type; ``verification_uri_complete`` fills it in, to be checked and sent."""
    actor = _signed_in_or_away()
    if isinstance(actor, Response):
        return actor
    typed = request.args.get("user_code", "")[:20]
    return page(TEMPLATE, step="enter", form={"user_code": typed} if typed else {})


@bp.post("/device")
@form_errors(TEMPLATE, placed={"device_code_unknown": "user_code"}, shown=lambda: {"step": "enter"})
def answer() -> Response:
    """The typed code (its request shown), or the person's decision on it."""
    actor = _signed_in_or_away()
    if isinstance(actor, Response):
        return actor
    user_code = field("user_code")
    decision = request.form.get("decision")
    if decision not in ("allow", "deny"):
        found = (
            services()
            .of(ProviderServices)
            .device.find_device_request(FindDeviceRequest(actor, user_code, client_ip()))
        )
        return _request_page(found, actor)
    auth_time = services().of(ProviderServices).accounts.authenticated_at(AuthTime(actor))
    view = (
        services()
        .of(ProviderServices)
        .device.decide_device(
            DecideDevice(actor, user_code, decision == "allow", client_ip(), auth_time)
        )
    )
    return page(TEMPLATE, step=decision, app_name=view.client.name)
