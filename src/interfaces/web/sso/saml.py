"""SAML single sign-on's addresses that identity providers and their admins use
(docs/reference/sso.md, "The service provider"): the service provider's metadata of a
connection, which the customer's IT admin loads into their IdP."""

from __future__ import annotations

from flask import Response

from interfaces.shared.services import services
from interfaces.web.rendering import bp

METADATA_TYPE = "application/samlmetadata+xml"


@bp.get("/sso/<connection_id>/saml/metadata")
def saml_metadata(connection_id: str) -> Response:
    """The metadata, for a SAML connection in any status (404 for none); public, as an
    entity ID's address is. Downloaded, it is named after the connection."""
    xml = services().saml.metadata(connection_id)
    response = Response(xml, mimetype=METADATA_TYPE)
    response.headers["Content-Disposition"] = (
        f'inline; filename="firegate-{connection_id}-metadata.xml"'
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
