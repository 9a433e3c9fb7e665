"""/admin/hooks: admins register webhooks, see each one's deliveries and send one again
(docs/pages.md). The secret is on the page that answers the form, and on no other.

Not /admin/webhooks: that path and those under it are the JSON API's (bearer tokens), and a
path answers one way."""

from __future__ import annotations

from flask import Response, request
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from application.events.security_events import EVENT_TYPES
from application.events.services import EventServices
from application.events.webhooks.admin import (
    CreateWebhook,
    DeliveryQuery,
    ListWebhooks,
    Resend,
    WebhookRef,
)
from application.pagination import DEFAULT_LIMIT
from application.signin.authentication import Actor
from domain.errors import InvalidInput
from domain.events.webhooks import MAX_EVENTS
from interfaces.shared.services import services
from interfaces.web.accounts.admin import needs_sign_in
from interfaces.web.forms import MAX_FIELD_CHARS, field, form_errors
from interfaces.web.rendering import bp, page, see_other

DONE: dict[str, LazyString] = {
    "deleted": lazy_gettext("The webhook is deleted; nothing more is sent to it."),
    "resent": lazy_gettext("The delivery is on its way again."),
}


def _list_page(actor: Actor) -> Response:
    webhooks = services().of(EventServices).webhooks.list(ListWebhooks(actor))
    done = DONE.get(request.args.get("done", ""))
    return page(
        "events/webhooks.html", webhooks=webhooks, event_types=EVENT_TYPES, done=done, form={}
    )


@bp.get("/admin/hooks")
@needs_sign_in
def webhooks_page(actor: Actor) -> Response:
    return _list_page(actor)


def _events() -> list[str]:
    chosen = request.form.getlist("events")
    if len(chosen) > MAX_EVENTS or any(len(kind) > MAX_FIELD_CHARS for kind in chosen):
        raise InvalidInput.field("events", "Too many event types.", "too_many_event_types")
    return chosen


@bp.post("/admin/hooks")
@needs_sign_in
@form_errors(
    "events/webhooks.html",
    shown=lambda actor: {
        "webhooks": services().of(EventServices).webhooks.list(ListWebhooks(actor)),
        "event_types": EVENT_TYPES,
        "done": None,
    },
)
def create_webhook(actor: Actor) -> Response:
    url, events, description = field("url"), _events(), field("description", required=False)
    created = (
        services()
        .of(EventServices)
        .webhooks.create(CreateWebhook(actor, url, tuple(events), description))
    )
    return page(
        "events/webhook_created.html", status=201, webhook=created.endpoint, secret=created.secret
    )


@bp.get("/admin/hooks/<webhook_id>")
@needs_sign_in
def webhook_page(actor: Actor, webhook_id: str) -> Response:
    webhook = services().of(EventServices).webhooks.show(WebhookRef(actor, webhook_id))
    cursor = request.args.get("cursor", "")
    query = DeliveryQuery(actor, webhook.id, DEFAULT_LIMIT, cursor or None)
    deliveries = services().of(EventServices).webhooks.deliveries(query)
    done = DONE.get(request.args.get("done", ""))
    return page(
        "events/webhook.html",
        webhook=webhook,
        deliveries=deliveries,
        cursor=cursor,
        done=done,
        form={},
    )


@bp.post("/admin/hooks/<webhook_id>/delete")
@needs_sign_in
def delete_webhook(actor: Actor, webhook_id: str) -> Response:
    services().of(EventServices).webhooks.delete(WebhookRef(actor, webhook_id))
    return see_other("/admin/hooks?done=deleted")


@bp.post("/admin/hooks/<webhook_id>/deliveries/<delivery_id>/resend")
@needs_sign_in
def resend_delivery(actor: Actor, webhook_id: str, delivery_id: str) -> Response:
    services().of(EventServices).webhooks.resend(Resend(actor, webhook_id, delivery_id))
    return see_other(f"/admin/hooks/{webhook_id}?done=resent")
