"""Compatibility: the dogs API's /api/dogs routes, aliases of the native dog routes
(docs/migrating.md). The rest of that API (its users, its file upload) is the core's
(interfaces/http/routes/migration/dogs_api.py)."""

from __future__ import annotations

from flask import Blueprint

from interfaces.http.compat import TAGS
from interfaces.http.openapi import same_as
from interfaces.http.routes.dogs import routes as dogs

# Its own name: the core's blueprint of the same API is "dogs_api".
bp = Blueprint("dogs_api_dogs", __name__, url_prefix="/api")
bp.record(dogs.add_dog_name_converter)

_DOG = "/dogs/<dog_name:name>"
for rule, endpoint, view, methods, native in (
    ("/dogs", "list_dogs", dogs.list_dogs, ["GET"], "GET /dogs"),
    (
        "/dogs/is_adopted",
        "list_adopted_dogs",
        dogs.list_adopted_dogs,
        ["GET"],
        "GET /dogs/is_adopted",
    ),
    (_DOG, "get_dog", dogs.get_dog, ["GET"], "GET /dogs/{name}"),
    (_DOG, "create_dog", dogs.create_dog, ["POST"], "POST /dogs/{name}"),
    (_DOG, "update_dog", dogs.update_dog, ["PUT"], "PUT /dogs/{name}"),
    (_DOG, "delete_dog", dogs.delete_dog, ["DELETE"], "DELETE /dogs/{name}"),
):
    summary = f"Dogs API: as {native}."
    bp.add_url_rule(rule, endpoint, same_as(view, summary=summary, tags=TAGS), methods=methods)
