"""The path converters of the API's rules: each names a resource's segment but a word that is
a resource of its own, so OPTIONS on that word lists what the OpenAPI document says. The API
puts them on the app before it registers any route module's blueprint: a rule may name a
converter that another module's resource defines (the compatibility routes do). A unit's
converter is its own, put on the app by its blueprints (interfaces/http/routes/dogs/routes.py)."""

from __future__ import annotations

from werkzeug.routing import BaseConverter


class UserIdConverter(BaseConverter):
    """A path segment naming a user: any but ``invitations``, a resource of its own (POST
    only), so OPTIONS /users/invitations lists what the OpenAPI document says."""

    regex = r"(?!invitations(?![^/]))[^/]+"


class OrgConverter(BaseConverter):
    """A path segment naming an org: any but ``suggested``, a resource of its own (GET only),
    so OPTIONS /orgs/suggested lists what the OpenAPI document says (a reserved slug names
    no org anyway)."""

    regex = r"(?!suggested(?![^/]))[^/]+"


class PasskeyIdConverter(BaseConverter):
    """A path segment naming a passkey: any but ``registration`` and ``authentication``
    (POST only) and ``accepted`` (GET only), resources of their own, so OPTIONS on them lists
    what the OpenAPI document says."""

    regex = r"(?!(?:registration|authentication|accepted)(?![^/]))[^/]+"


CONVERTERS: dict[str, type[BaseConverter]] = {
    "user_id": UserIdConverter,
    "org": OrgConverter,
    "passkey_id": PasskeyIdConverter,
}
