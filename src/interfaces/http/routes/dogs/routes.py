"""Dogs by unique name. Reading is public; changing is for the owner or an admin."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from application.dogs import DeleteDog, DogQuery, Dogs, EditDog, GetDog, NewDog
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated
from interfaces.http.openapi import PATH_PARAMETERS, doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.dogs.schemas import (
    DOG_NAME_SCHEMA,
    DogCreate,
    DogOut,
    DogPage,
    DogUpdate,
)
from interfaces.http.schemas.common import PageQuery, Problem
from interfaces.shared.services import services


class DogNameConverter(BaseConverter):
    """A path segment naming a dog: any but ``is_adopted`` itself, the list of adopted dogs.

    So /dogs/is_adopted is one resource with GET only: POST, PUT and DELETE on it are 405
    and OPTIONS lists GET, as the OpenAPI document says (``IS_ADOPTED`` and other spellings
    of the reserved name still reach the routes below and get 422 ``invalid_dog_name``).
    """

    regex = r"(?!is_adopted(?![^/]))[^/]+"


def add_dog_name_converter(state: BlueprintSetupState) -> None:
    """``dog_name`` on the app, before a blueprint's first rule that names it is added (a
    blueprint's setup runs in the order it was recorded): the unit's converter is its own,
    put on the app by its blueprints (this one and the compatibility routes')."""
    state.app.url_map.converters["dog_name"] = DogNameConverter


bp = Blueprint("dogs", __name__, url_prefix="/dogs")
bp.record(add_dog_name_converter)
TAGS = ("dogs",)


PATH_PARAMETERS["name"] = DOG_NAME_SCHEMA


def _page(adopted: bool | None) -> Response:
    query = parse_query(PageQuery)
    page = (
        services().of(Dogs).list(DogQuery(limit=query.limit, cursor=query.cursor, adopted=adopted))
    )
    return json_response(
        DogPage(items=[DogOut.of(dog) for dog in page.items], next_cursor=page.next_cursor)
    )


@bp.get("")
@doc(query=PageQuery, responses={200: DogPage, 422: Problem}, tags=TAGS)
def list_dogs() -> Response:
    """All dogs, oldest first, paginated."""
    return _page(adopted=None)


@bp.get("/is_adopted")
@doc(query=PageQuery, responses={200: DogPage, 422: Problem}, tags=TAGS)
def list_adopted_dogs() -> Response:
    """The dogs whose ``is_adopted`` is true, oldest first, paginated."""
    return _page(adopted=True)


@bp.get("/<dog_name:name>")
@doc(responses={200: DogOut, 404: Problem, 422: Problem}, tags=TAGS)
def get_dog(name: str) -> Response:
    """One dog by its name (case-insensitive)."""
    return json_response(DogOut.of(services().of(Dogs).get(GetDog(name))))


@bp.post("/<dog_name:name>")
@doc(
    json=DogCreate,
    optional_body=True,
    responses={202: DogOut, 403: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def create_dog(actor: Actor, name: str) -> Response:
    """Create a dog owned by the caller: 202, its picture is fetched in the background."""
    body = parse_json(DogCreate) if request.get_data(cache=True) else DogCreate()
    dog = (
        services()
        .of(Dogs)
        .create(NewDog(owner_id=actor.user_id, name=name, is_adopted=body.is_adopted))
    )
    location = f"/dogs/{quote(dog.name.value, safe='')}"
    return json_response(DogOut.of(dog), 202, {"Location": location})


@bp.put("/<dog_name:name>")
@doc(
    json=DogUpdate,
    responses={200: DogOut, 403: Problem, 404: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def update_dog(actor: Actor, name: str) -> Response:
    """Owner or admin: change ``is_adopted`` and/or rename (``name``)."""
    body = parse_json(DogUpdate)
    changes = tuple((field, getattr(body, field)) for field in sorted(body.model_fields_set))
    return json_response(DogOut.of(services().of(Dogs).edit(EditDog(actor, name, changes))))


@bp.delete("/<dog_name:name>")
@doc(responses={204: None, 403: Problem, 404: Problem, 422: Problem}, auth=True, tags=TAGS)
@authenticated
def delete_dog(actor: Actor, name: str) -> Response:
    """Owner or admin: delete the dog; its name is free again."""
    services().of(Dogs).delete(DeleteDog(actor, name))
    return no_content()
