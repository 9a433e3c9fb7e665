"""The native apps' association files (docs/reference/native-apps.md): fetched by Apple's
and Google's crawlers from the service's own host, answered as they ask (200 JSON, never a
redirect, cacheable), made from the registered clients' apps."""

from __future__ import annotations

import json

from flask import Blueprint, Response

from application.native_apps.association import AssociationFiles
from interfaces.shared.services import services

bp = Blueprint("native_apps_association", __name__)
# An hour: a crawler or a CDN keeps it so long; a new app shows within it (and this process's
# reads of the apps, ``APPS_TTL``)
CACHE_CONTROL = "public, max-age=3600"


def _json(body: object) -> Response:
    response = Response(json.dumps(body), status=200, mimetype="application/json")
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.get("/.well-known/apple-app-site-association")
def apple_app_site_association() -> Response:
    """The iOS apps' universal links (the app sign-in path) and shared web credentials."""
    return _json(services().of(AssociationFiles).apple())


@bp.get("/.well-known/assetlinks.json")
def asset_links() -> Response:
    """The Android apps' statements: the site's links and its saved credentials are theirs."""
    return _json(services().of(AssociationFiles).android())
