"""SCIM 2.0 (RFC 7643, 7644) at ``/scim/v2/``: the driving adapter a directory (Okta, Entra
ID, Google Workspace) provisions an org's people through (docs/reference/scim.md).

The protocol is scim2-server's and the schema scim2-models': this adapter authenticates the
org's SCIM token, hands the request to them, and answers what they answer, errors in SCIM's
own schema (docs/decisions/0402-scim-by-the-librarys-protocol.md). It is described by its own
discovery endpoints, not by /openapi.json.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from interfaces.scim import routes
from interfaces.shared.shell import Installed


@dataclass(frozen=True)
class ScimConfig:
    public_url: str  # the SCIM base URL is ``{public_url}/scim/v2``


def install(app: Flask, config: ScimConfig) -> Installed:
    app.extensions[routes.EXTENSION] = routes.ScimServer(config.public_url)
    app.register_blueprint(routes.bp)
    return Installed(name="scim")
