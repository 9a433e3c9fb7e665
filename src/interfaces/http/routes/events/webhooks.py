"""Webhooks: admins register endpoints and look at their deliveries
(docs/reference/webhooks.md)."""

from __future__ import annotations

from flask import Blueprint, Response

from application.events.services import EventServices
from application.events.webhooks.admin import (
    CreateWebhook,
    DeliveryQuery,
    ListWebhooks,
    Resend,
    WebhookRef,
)
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, PageQuery, Problem
from interfaces.http.schemas.events.webhooks import (
    DeliveryOut,
    DeliveryPage,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
)
from interfaces.shared.services import services

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")
TAGS = ("webhooks",)
NO_STORE = {"Cache-Control": "no-store"}


@bp.post("")
@doc(json=WebhookCreate, responses={201: WebhookCreated, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def create_webhook(actor: Actor) -> Response:
    """Admin: register an endpoint; the answer carries its ``secret``, shown only here."""
    body = parse_json(WebhookCreate)
    created = (
        services()
        .of(EventServices)
        .webhooks.create(CreateWebhook(actor, body.url, tuple(body.events), body.description or ""))
    )
    out = WebhookCreated(**WebhookOut.of(created.endpoint).model_dump(), secret=created.secret)
    headers = {"Location": f"/admin/webhooks/{created.endpoint.id}", **NO_STORE}
    return json_response(out, 201, headers)


@bp.get("")
@doc(query=NoQuery, responses={200: WebhookList, 403: Problem, 422: Problem}, auth=True, tags=TAGS)
@authenticated
def list_webhooks(actor: Actor) -> Response:
    """Admin: every endpoint, oldest first (one list: there are few)."""
    parse_query(NoQuery)
    endpoints = services().of(EventServices).webhooks.list(ListWebhooks(actor))
    return json_response(WebhookList(items=[WebhookOut.of(e) for e in endpoints]))


@bp.get("/<webhook_id>")
@doc(responses={200: WebhookOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def get_webhook(actor: Actor, webhook_id: str) -> Response:
    """Admin: one endpoint."""
    return json_response(
        WebhookOut.of(services().of(EventServices).webhooks.show(WebhookRef(actor, webhook_id)))
    )


@bp.delete("/<webhook_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def delete_webhook(actor: Actor, webhook_id: str) -> Response:
    """Admin: delete an endpoint; its pending deliveries stop."""
    services().of(EventServices).webhooks.delete(WebhookRef(actor, webhook_id))
    return no_content()


@bp.get("/<webhook_id>/deliveries")
@doc(
    query=PageQuery, responses={200: DeliveryPage, 403: Problem, 404: Problem}, auth=True, tags=TAGS
)
@authenticated
def list_deliveries(actor: Actor, webhook_id: str) -> Response:
    """Admin: the endpoint's deliveries with their attempts, newest first, paginated."""
    query = parse_query(PageQuery)
    page = (
        services()
        .of(EventServices)
        .webhooks.deliveries(DeliveryQuery(actor, webhook_id, query.limit, query.cursor))
    )
    items = [DeliveryOut.of(delivery) for delivery in page.items]
    return json_response(DeliveryPage(items=items, next_cursor=page.next_cursor))


@bp.post("/<webhook_id>/deliveries/<delivery_id>/resend")
@doc(responses={202: DeliveryOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def resend_delivery(actor: Actor, webhook_id: str, delivery_id: str) -> Response:
    """Admin: send a delivery again now, with the same ``webhook-id``."""
    delivery = services().of(EventServices).webhooks.resend(Resend(actor, webhook_id, delivery_id))
    return json_response(DeliveryOut.of(delivery), 202)
